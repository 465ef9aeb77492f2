package sim_test

import (
	"fmt"
	"time"

	"testing"

	"github.com/kvplace/kvplace/sim"
	"pgregory.net/rapid"
)

// sink records what it receives and checks each delivery against the test's own model of
// the network at that moment.
type sink struct {
	seen  map[[2]int]int // (from, seq) -> deliveries
	check func(ctx *sim.Context, from int, p ping)
}

func (k *sink) Start(*sim.Context)            {}
func (k *sink) Timer(*sim.Context, sim.Timer) {}
func (k *sink) Step(ctx *sim.Context, from int, msg any) {
	p := msg.(ping)
	k.check(ctx, from, p)
	k.seen[[2]int{from, p.Seq}]++
}

// netModel is the test's record of which links are cut.
type netModel struct {
	side    map[int]int
	blocked map[[2]int]bool
}

func (m *netModel) connected(from, to int) bool {
	return m.side[from] == m.side[to] && !m.blocked[[2]int{from, to}]
}

func TestNetworkProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(2, 6).Draw(t, "nodes")
		faulty := rapid.Bool().Draw(t, "faulty")
		link := sim.Link{Latency: sim.Uniform{Min: 0, Max: time.Duration(rapid.IntRange(0, 20).Draw(t, "max latency ms")) * time.Millisecond}}
		if faulty {
			link.Reorder = rapid.Float64Range(0, 1).Draw(t, "reorder")
		}
		s, err := sim.New(sim.Config{Seed: rapid.Uint64().Draw(t, "seed"), Link: link})
		if err != nil {
			t.Fatal(err)
		}
		model := &netModel{side: map[int]int{}, blocked: map[[2]int]bool{}}
		sent := map[[2]int]sim.Time{}
		var sinks []*sink
		for i := range n {
			k := &sink{seen: map[[2]int]int{}}
			k.check = func(ctx *sim.Context, from int, p ping) {
				if !model.connected(from, ctx.Node) {
					t.Fatalf("ping %d from %d reached %d across a partition", p.Seq, from, ctx.Node)
				}
				if ctx.Now < p.SentAt {
					t.Fatalf("ping %d from %d reached %d at %v, before it was sent at %v", p.Seq, from, ctx.Node, ctx.Now, p.SentAt)
				}
			}
			if _, err := s.AddNode(fmt.Sprintf("n%d", i), k); err != nil {
				t.Fatal(err)
			}
			sinks = append(sinks, k)
		}
		seq := 0
		actions := map[string]func(*rapid.T){
			"send": func(t *rapid.T) {
				from := rapid.IntRange(0, n-1).Draw(t, "from")
				to := rapid.IntRange(0, n-1).Draw(t, "to")
				seq++
				s.Inject(from, to, ping{Seq: seq, SentAt: s.Now()}, 0)
				sent[[2]int{from, seq}] = s.Now()
			},
			"advance": func(t *rapid.T) {
				s.RunFor(time.Duration(rapid.IntRange(0, 30).Draw(t, "ms")) * time.Millisecond)
			},
		}
		if faulty {
			actions["partition"] = func(t *rapid.T) {
				sides := rapid.SliceOfN(rapid.IntRange(0, 2), n, n).Draw(t, "sides")
				groups := make([][]int, 3)
				for node, side := range sides {
					groups[side] = append(groups[side], node)
				}
				s.Partition(groups...)
				model.side = map[int]int{}
				for node, side := range sides {
					model.side[node] = side
				}
			}
			actions["block"] = func(t *rapid.T) {
				from := rapid.IntRange(0, n-1).Draw(t, "from")
				to := rapid.IntRange(0, n-1).Draw(t, "to")
				s.Block(from, to)
				model.blocked[[2]int{from, to}] = true
			}
			actions["heal"] = func(t *rapid.T) {
				s.Heal()
				model.side, model.blocked = map[int]int{}, map[[2]int]bool{}
			}
		}
		t.Repeat(actions)
		s.RunUntilIdle(s.Now().Add(time.Minute))
		if faulty {
			return
		}
		// No fault: every message arrived exactly once.
		for key := range sent {
			to := -1
			total := 0
			for i, k := range sinks {
				if c := k.seen[key]; c > 0 {
					to = i
					total += c
				}
			}
			if total != 1 {
				t.Fatalf("ping %d from %d was delivered %d times (last to %d)", key[1], key[0], total, to)
			}
		}
	})
}
