package experiments

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kvplace/kvplace/ring"
	"github.com/kvplace/kvplace/sim/cluster"
)

// ringScheme is "ring:<vnodes>" or, with probes above 1, the multi-probe "ring:<vnodes>:<probes>".
type ringScheme struct{ vnodes, probes int }

func init() {
	registerScheme(schemeKind{name: "ring", forms: []string{"ring:<vnodes>", "ring:<vnodes>:<probes>"}, parse: parseRing})
}

func parseRing(text, arg string, _ bool) (scheme, error) {
	vnodes, probes, multi := strings.Cut(arg, ":")
	v, err := strconv.Atoi(vnodes)
	if err != nil || v < 1 {
		return nil, fmt.Errorf("scheme %q: ring needs its virtual nodes per member, a whole number ≥ 1, as in ring:100", text)
	}
	if !multi {
		return ringScheme{vnodes: v}, nil
	}
	k, err := strconv.Atoi(probes)
	if err != nil || k < 1 {
		return nil, fmt.Errorf("scheme %q: a multi-probe ring needs its probes per key after the virtual nodes, a whole number ≥ 1, as in ring:1:21", text)
	}
	return ringScheme{vnodes: v, probes: k}, nil
}

func (s ringScheme) String() string {
	if s.probes > 1 {
		return "ring:" + strconv.Itoa(s.vnodes) + ":" + strconv.Itoa(s.probes)
	}
	return "ring:" + strconv.Itoa(s.vnodes)
}

func (ringScheme) planned() bool { return false }

func (s ringScheme) config() ring.Config { return ring.Config{VNodes: s.vnodes, Probes: s.probes} }

func (s ringScheme) layout(members []string) (layout, error) {
	r, err := ring.New(members, s.config())
	if err != nil {
		return nil, err
	}
	return ringLayout{r: r, names: r.Members()}, nil
}

// maxClusterVNodes bounds a ring run inside the simulated cluster, where every node and
// client rebuilds the ring at each membership change.
const maxClusterVNodes = 100000

func (s ringScheme) checkInCluster() error {
	if s.vnodes > maxClusterVNodes {
		return fmt.Errorf("at most %d virtual nodes", maxClusterVNodes)
	}
	return nil
}

func (s ringScheme) inCluster() clusterScheme {
	cfg := s.config()
	return placedScheme{func(members []string) (cluster.Partitioner, error) { return ring.New(members, cfg) }}
}

// ringLayout keeps a replica on the next distinct member clockwise.
type ringLayout struct {
	r        *ring.Ring
	names    []string
	replicas bool
}

func (l ringLayout) members() []string      { return l.names }
func (l ringLayout) holders() []string      { return l.names }
func (l ringLayout) owner(k *placedKey) int { return l.r.IndexAt(k.hash()) }
func (l ringLayout) locate(k *placedKey) (int, int) {
	if !l.replicas || len(l.names) < 2 {
		return l.r.IndexAt(k.hash()), -1
	}
	var buf [2]int
	s := l.r.AppendSuccessorIndexesAt(buf[:0], k.hash(), 2)
	return s[0], s[1]
}
func (l ringLayout) join(m string) (layout, error) {
	r, err := l.r.Join(m)
	if err != nil {
		return nil, err
	}
	return ringLayout{r, r.Members(), l.replicas}, nil
}
func (l ringLayout) leave(m string) (layout, error) {
	r, err := l.r.Leave(m)
	if err != nil {
		return nil, err
	}
	return ringLayout{r, r.Members(), l.replicas}, nil
}
func (l ringLayout) crash(m string) (layout, error) { return l.leave(m) }
func (l ringLayout) replicated() layout             { return ringLayout{l.r, l.names, true} }
