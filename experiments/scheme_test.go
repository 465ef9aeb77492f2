package experiments

import (
	"testing"

	"github.com/stretchr/testify/require"

	"pgregory.net/rapid"

	"github.com/kvplace/kvplace/modulo"
	"github.com/kvplace/kvplace/ring"
	"github.com/kvplace/kvplace/slot"
)

// Every layout places a placedKey where its partitioner places the key by name: the one
// xxHash64 and slot a placedKey computes are what modulo, the rings and the slot map use.
func TestLayoutsPlaceAsTheirPartitioners(t *testing.T) {
	members := SeedMasters
	m, err := modulo.New(members, nil)
	require.NoError(t, err)
	r, err := ring.New(members, ring.Config{VNodes: 100})
	require.NoError(t, err)
	p, err := slot.NewPartitioner(members, slot.Reshard)
	require.NoError(t, err)
	layouts := []layout{moduloLayout{m: m}, ringLayout{r: r, names: r.Members()}, newSlotLayout(p, false)}
	want := []func(string) string{m.Owner, r.Owner, func(k string) string { return p.Owner(k) }}
	rapid.Check(t, func(t *rapid.T) {
		key := rapid.String().Draw(t, "key")
		var k placedKey
		for i, l := range layouts {
			k.reset(key)
			o, _ := l.locate(&k)
			if got := l.holders()[o]; got != want[i](key) {
				t.Fatalf("layout %d places %q on %s, its partitioner on %s", i, key, got, want[i](key))
			}
		}
	})
}
