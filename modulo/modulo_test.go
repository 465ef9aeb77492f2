package modulo_test

import (
	"fmt"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/kvplace/kvplace/modulo"
)

// It satisfies the Partitioner its consumer, the simulated cluster, declares.
var _ interface{ Owner(key string) string } = (*modulo.Modulo)(nil)

func names(n int) []string {
	var s []string
	for i := range n {
		s = append(s, fmt.Sprintf("node-%d", i))
	}
	return s
}

func TestOwnerIsTheFormula(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		members := names(rapid.IntRange(1, 100).Draw(t, "n"))
		m, err := modulo.New(members, nil)
		if err != nil {
			t.Fatal(err)
		}
		key := rapid.String().Draw(t, "key")
		want := members[xxhash.Sum64String(key)%uint64(len(members))]
		if got := m.Owner(key); got != want {
			t.Fatalf("Owner(%q) = %s, want %s", key, got, want)
		}
		if members[m.Index(key)] != want {
			t.Fatalf("Index(%q) = %d, want the index of %s", key, m.Index(key), want)
		}
	})
}

func TestCustomHash(t *testing.T) {
	m, err := modulo.New([]string{"a", "b", "c"}, func(k string) uint64 { return uint64(len(k)) })
	require.NoError(t, err)
	assert.Equal(t, "a", m.Owner(""))
	assert.Equal(t, "b", m.Owner("x"))
	assert.Equal(t, "c", m.Owner("xy"))
	assert.Equal(t, "a", m.Owner("xyz"))
}

func TestWithoutRenumbersInOrder(t *testing.T) {
	m, err := modulo.New([]string{"a", "b", "c", "d"}, nil)
	require.NoError(t, err)
	w, err := m.Leave("b")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c", "d"}, w.Members())
	assert.Equal(t, []string{"a", "b", "c", "d"}, m.Members(), "the original is unchanged")
	j, err := w.Join("e")
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "c", "d", "e"}, j.Members())
	assert.Equal(t, 4, j.Len())
}

func TestErrors(t *testing.T) {
	_, err := modulo.New(nil, nil)
	assert.EqualError(t, err, "modulo: no members")
	_, err = modulo.New([]string{"a", "a"}, nil)
	assert.EqualError(t, err, `modulo: member "a" is given twice`)
	_, err = modulo.New([]string{"a", ""}, nil)
	assert.EqualError(t, err, "modulo: a member has an empty name")
	m, _ := modulo.New([]string{"a"}, nil)
	_, err = m.Leave("z")
	assert.EqualError(t, err, `modulo: "z" is not a member`)
	_, err = m.Leave("a")
	assert.EqualError(t, err, `modulo: cannot remove "a", the last member`)
	_, err = m.Join("a")
	assert.EqualError(t, err, `modulo: member "a" is given twice`)
}

// TestScaleOutMovesNOverNPlusOne: from N to N+1 members, a key keeps its owner only when
// hash mod N = hash mod (N+1), which is 1/(N+1) of hashes.
func TestScaleOutMovesNOverNPlusOne(t *testing.T) {
	for _, n := range []int{3, 10} {
		m, _ := modulo.New(names(n), nil)
		m2, _ := m.Join("new")
		moved, total := 0, 200000
		for i := range total {
			k := fmt.Sprintf("key:%d", i)
			if m.Owner(k) != m2.Owner(k) {
				moved++
			}
		}
		assert.InDelta(t, float64(n)/float64(n+1), float64(moved)/float64(total), 0.005, "N=%d", n)
	}
}

func TestOwnerAllocatesNothing(t *testing.T) {
	m, _ := modulo.New(names(64), nil)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = m.Owner("user:42") }))
}

func ExampleModulo_Join() {
	m, _ := modulo.New([]string{"a", "b", "c"}, nil)
	m2, _ := m.Join("d")
	moved := 0
	for i := range 100000 {
		k := fmt.Sprintf("key:%d", i)
		if m.Owner(k) != m2.Owner(k) {
			moved++
		}
	}
	fmt.Printf("3 -> 4 members moved %.0f%% of the keys\n", float64(moved)/1000)
	// Output: 3 -> 4 members moved 75% of the keys
}

var sink string

func BenchmarkOwner(b *testing.B) {
	// go test -run - -bench Owner -benchmem ./modulo
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%d", i)
	}
	for _, n := range []int{3, 64, 1000} {
		m, _ := modulo.New(names(n), nil)
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			i := 0
			for b.Loop() {
				sink = m.Owner(keys[i&1023])
				i++
			}
		})
	}
}

// A key hashed once places as it does by name.
func TestIndexAtHash(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		members := rapid.SliceOfNDistinct(rapid.StringMatching(`[a-z0-9]{1,8}`), 1, 20, rapid.ID).Draw(t, "members")
		m, err := modulo.New(members, nil)
		require.NoError(t, err)
		key := rapid.String().Draw(t, "key")
		assert.Equal(t, m.Index(key), m.IndexAt(m.Hash(key)))
	})
}
