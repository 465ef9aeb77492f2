package slot

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCLIOrderAsRedisCLI pins the order real redis-cli 7.0.15 listed and fixed forty open
// slots in (sim/cluster's TestOpenSlotsInRedisCLIOrder compares it with the real tool
// whenever redis-server is installed), and checks what the order must be whatever the
// hash: every slot once, whether added once or again.
func TestCLIOrderAsRedisCLI(t *testing.T) {
	var added []int
	for s := 3; s < 5461; s += 137 {
		added = append(added, s)
	}
	want := []int{3428, 3154, 1921, 825, 4250, 2332, 140, 277, 2469, 2195, 2743, 414, 4113, 3702, 1647, 2880, 962, 3017, 2058, 1784,
		1236, 1510, 688, 3976, 4661, 3839, 4387, 4798, 5209, 4935, 1099, 3565, 2606, 1373, 3291, 5072, 551, 3, 4524, 5346}
	assert.Equal(t, want, CLIOrder(added))
	// A migrating and an importing mark on the same slots: each slot once. The second
	// pass only takes rehash steps, which finish the table's growth, so the order may
	// differ from a single pass, but not the set.
	twice := CLIOrder(append(slices.Clone(added), added...))
	assert.ElementsMatch(t, added, twice)
	assert.Empty(t, CLIOrder(nil))
	assert.Equal(t, []int{5}, CLIOrder([]int{5, 5}))
}
