package live

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFreePortsAreReserved: tests running in parallel ask before they bind, so two calls
// must never hand out the same port, nor one's cluster bus port as another's port.
func TestFreePortsAreReserved(t *testing.T) {
	a, err := FreePorts(8)
	require.NoError(t, err)
	b, err := FreePorts(8)
	require.NoError(t, err)
	used := map[int]bool{}
	for _, p := range a {
		used[p], used[p+10000] = true, true
	}
	for _, p := range b {
		assert.False(t, used[p] || used[p+10000], "port %d (bus %d) was handed out twice", p, p+10000)
	}
}
