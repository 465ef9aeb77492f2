package slot_test

import (
	"strings"
	"testing"

	"github.com/kvplace/kvplace/slot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ParseNodes never panics on any text, and what it accepts LayoutOf turns into a layout
// whose slots are all owned by nodes it lists.
func FuzzParseNodes(f *testing.F) {
	f.Add("07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:6381@16381 myself,master - 0 1426238317239 1 connected 0-5460\n" +
		"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:6384@16384 slave 07c37dfeb235213a872192d90877d0cd55635b91 0 1426238317741 1 connected\n")
	f.Add("a 1:2 master - 0 0 1 connected [93->-b] 1-2 16383")
	f.Add("x y z")
	f.Fuzz(func(t *testing.T, text string) {
		nodes, err := slot.ParseNodes(text)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "slot: ") {
				t.Fatalf("an error that does not say where it comes from: %v", err)
			}
			return
		}
		l := slot.LayoutOf(nodes)
		listed := map[string]bool{"": true}
		for _, n := range l.Nodes {
			listed[n.ID] = true
		}
		for s := range slot.Count {
			if o := l.Slots.Owner(s); !listed[o] {
				t.Fatalf("slot %d is owned by %q, a node the layout does not list", s, o)
			}
		}
	})
}

// Bad CLUSTER NODES input is an error naming the file and line; comments, blank lines and
// nodes.conf's vars line are skipped.
func TestReadNodes(t *testing.T) {
	_, err := slot.ReadNodes(strings.NewReader("# header\n\nabc 127.0.0.1:1@2 master\n"), "nodes.txt")
	assert.EqualError(t, err, `nodes.txt:3: slot: short CLUSTER NODES line "abc 127.0.0.1:1@2 master"`)
	_, err = slot.ReadNodes(strings.NewReader("# nothing\n"), "nodes.txt")
	assert.EqualError(t, err, "nodes.txt: no CLUSTER NODES line")
	nodes, err := slot.ReadNodesFile("testdata/seed-cluster-nodes.txt")
	require.NoError(t, err)
	assert.Len(t, nodes, 6)
	conf := "25c90c8be6131046616f1797290a8aa8d7cf7e00 127.0.0.1:6381@16381 myself,master - 0 0 1 connected 0-16383\nvars currentEpoch 1 lastVoteEpoch 0\n"
	nodes, err = slot.ReadNodes(strings.NewReader(conf), "nodes.conf")
	require.NoError(t, err)
	assert.Len(t, nodes, 1)
}
