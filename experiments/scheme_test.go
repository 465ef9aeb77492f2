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
	members := SeedCluster().Masters
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

// A scheme reads back from what it prints, two parses of one text are equal Schemes, and
// a text no scheme knows is refused with the forms every registered scheme is written in.
func TestSchemeText(t *testing.T) {
	for _, text := range []string{"modulo", "ring:100", "ring:1:21", "slots", "slots:rebalance"} {
		s, err := ParseScheme(text)
		require.NoError(t, err, text)
		require.Equal(t, text, s.String())
		again, err := ParseScheme(s.String())
		require.NoError(t, err)
		require.True(t, s == again, "%s parsed twice is not one Scheme", text)
		got, err := s.MarshalText()
		require.NoError(t, err)
		var back Scheme
		require.NoError(t, back.UnmarshalText(got))
		require.Equal(t, s, back)
	}
	s, err := ParseScheme("slots:reshard")
	require.NoError(t, err)
	require.Equal(t, "slots", s.String())
	a, _ := ParseScheme("ring:100")
	b, _ := ParseScheme("ring:10")
	require.False(t, a == b)
	for _, bad := range []string{"jump", "modulo:3", "slots:weird", ""} {
		_, err := ParseScheme(bad)
		require.EqualError(t, err, `scheme "`+bad+`": want modulo, ring:<vnodes>, ring:<vnodes>:<probes>, slots or slots:rebalance`)
	}
	_, err = ParseScheme("ring:0")
	require.EqualError(t, err, `scheme "ring:0": ring needs its virtual nodes per member, a whole number ≥ 1, as in ring:100`)
}

// The zero Scheme is no scheme: it builds nothing and cannot run in the cluster.
func TestZeroScheme(t *testing.T) {
	var s Scheme
	require.True(t, s.IsZero())
	require.Equal(t, "", s.String())
	_, err := s.newLayout(SeedCluster().Masters)
	require.ErrorIs(t, err, errNoScheme)
	_, err = s.inCluster()
	require.ErrorIs(t, err, errNoScheme)
	big, err := ParseScheme("ring:200000")
	require.NoError(t, err)
	_, err = big.inCluster()
	require.EqualError(t, err, "at most 100000 virtual nodes")
}
