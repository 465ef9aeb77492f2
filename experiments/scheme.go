package experiments

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/kvplace/kvplace/modulo"
	"github.com/kvplace/kvplace/ring"
	"github.com/kvplace/kvplace/slot"
)

// A Scheme is a placement scheme with its parameters, written as on the command line:
// "modulo", "ring:100" (a consistent-hash ring with 100 virtual nodes per member),
// "ring:1:21" (one virtual node per member, each key looked up at 21 probes: the
// multi-probe ring of ring.Config.Probes), "slots" (Redis hash slots, scaled the seed
// tutorial's way with reshard) or "slots:rebalance" (scaled with redis-cli's rebalance).
type Scheme struct {
	Kind   string      `json:"kind"`             // "modulo", "ring" or "slots"
	VNodes int         `json:"vnodes,omitempty"` // for "ring"
	Probes int         `json:"probes,omitempty"` // for "ring": above 1 for a multi-probe ring
	Policy slot.Policy `json:"-"`                // for "slots"
}

// ParseScheme reads a scheme written as String writes it.
func ParseScheme(text string) (Scheme, error) {
	kind, arg, hasArg := strings.Cut(text, ":")
	switch kind {
	case "modulo":
		if !hasArg {
			return Scheme{Kind: kind}, nil
		}
	case "ring":
		vnodes, probes, multi := strings.Cut(arg, ":")
		v, err := strconv.Atoi(vnodes)
		if err != nil || v < 1 {
			return Scheme{}, fmt.Errorf("scheme %q: ring needs its virtual nodes per member, a whole number ≥ 1, as in ring:100", text)
		}
		if !multi {
			return Scheme{Kind: kind, VNodes: v}, nil
		}
		k, err := strconv.Atoi(probes)
		if err != nil || k < 1 {
			return Scheme{}, fmt.Errorf("scheme %q: a multi-probe ring needs its probes per key after the virtual nodes, a whole number ≥ 1, as in ring:1:21", text)
		}
		return Scheme{Kind: kind, VNodes: v, Probes: k}, nil
	case "slots":
		switch {
		case !hasArg || arg == "reshard":
			return Scheme{Kind: kind, Policy: slot.Reshard}, nil
		case arg == "rebalance":
			return Scheme{Kind: kind, Policy: slot.Rebalance}, nil
		}
	}
	return Scheme{}, fmt.Errorf("scheme %q: want modulo, ring:<vnodes>, ring:<vnodes>:<probes>, slots or slots:rebalance", text)
}

// ParseInts reads a comma-separated list of whole numbers given to the command-line flag
// named flag ("-vnodes 1,10,100"); an empty text is an empty list.
func ParseInts(flag, text string) ([]int, error) {
	var out []int
	for _, v := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("-%s %q: %q is not a whole number", flag, text, v)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseSchemes reads a comma-separated list of schemes.
func ParseSchemes(text string) ([]Scheme, error) {
	var out []Scheme
	for _, part := range strings.Split(text, ",") {
		s, err := ParseScheme(strings.TrimSpace(part))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (s Scheme) String() string {
	switch s.Kind {
	case "ring":
		if s.Probes > 1 {
			return "ring:" + strconv.Itoa(s.VNodes) + ":" + strconv.Itoa(s.Probes)
		}
		return "ring:" + strconv.Itoa(s.VNodes)
	case "slots":
		if s.Policy == slot.Rebalance {
			return "slots:rebalance"
		}
		return "slots"
	}
	return s.Kind
}

// MarshalText writes the scheme as String does, so JSON shows "ring:100".
func (s Scheme) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// A layout is one scheme at one membership, reduced to what a measurement needs.
type layout interface {
	// members are the nodes that can own keys; holders are members followed by nodes
	// that only hold replicas.
	members() []string
	holders() []string
	// locate returns key's owner and the holder of its replica, as indexes into holders;
	// replica is -1 without replicas, owner is -1 when no node serves the key.
	locate(k *placedKey) (owner, replica int)
	// owner is locate's owner alone, for when the replica is not needed.
	owner(k *placedKey) int
	join(m string) (layout, error)
	leave(m string) (layout, error)
	// crash returns the layout after m fails: replicas take over where there are any.
	crash(m string) (layout, error)
	// replicated returns the same placement keeping one replica of every key.
	replicated() layout
}

// newLayout builds scheme s over members.
func (s Scheme) newLayout(members []string) (layout, error) {
	switch s.Kind {
	case "modulo":
		m, err := modulo.New(members, nil)
		if err != nil {
			return nil, err
		}
		return moduloLayout{m: m}, nil
	case "ring":
		r, err := ring.New(members, ring.Config{VNodes: s.VNodes, Probes: s.Probes})
		if err != nil {
			return nil, err
		}
		return ringLayout{r: r, names: r.Members()}, nil
	case "slots":
		p, err := slot.NewPartitioner(members, s.Policy)
		if err != nil {
			return nil, err
		}
		return newSlotLayout(p, false), nil
	}
	return nil, fmt.Errorf("unknown scheme %q", s.Kind)
}

// A placedKey is a key being placed by every layout of a measurement, with what several
// layouts compute from it done once: its xxHash64, which modulo and the rings built here
// hash with (their default), and its hash slot.
type placedKey struct {
	key     string
	xx      uint64
	s       int
	hashed  bool
	slotted bool
}

func (k *placedKey) reset(key string) { *k = placedKey{key: key} }

func (k *placedKey) hash() uint64 {
	if !k.hashed {
		k.xx, k.hashed = xxhash.Sum64String(k.key), true
	}
	return k.xx
}

func (k *placedKey) slot() int {
	if !k.slotted {
		k.s, k.slotted = slot.Of(k.key), true
	}
	return k.s
}

// moduloLayout keeps a replica of member i's keys on member i+1 (mod N).
type moduloLayout struct {
	m        *modulo.Modulo
	replicas bool
}

func (l moduloLayout) members() []string      { return l.m.Members() }
func (l moduloLayout) holders() []string      { return l.m.Members() }
func (l moduloLayout) owner(k *placedKey) int { return l.m.IndexAt(k.hash()) }
func (l moduloLayout) locate(k *placedKey) (int, int) {
	i := l.m.IndexAt(k.hash())
	if !l.replicas || l.m.Len() < 2 {
		return i, -1
	}
	return i, (i + 1) % l.m.Len()
}
func (l moduloLayout) join(m string) (layout, error) {
	n, err := l.m.With(m)
	return moduloLayout{n, l.replicas}, err
}
func (l moduloLayout) leave(m string) (layout, error) {
	n, err := l.m.Without(m)
	return moduloLayout{n, l.replicas}, err
}
func (l moduloLayout) crash(m string) (layout, error) { return l.leave(m) }
func (l moduloLayout) replicated() layout             { return moduloLayout{l.m, true} }

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
	r, err := l.r.Add(m, 1)
	if err != nil {
		return nil, err
	}
	return ringLayout{r, r.Members(), l.replicas}, nil
}
func (l ringLayout) leave(m string) (layout, error) {
	r, err := l.r.Remove(m)
	if err != nil {
		return nil, err
	}
	return ringLayout{r, r.Members(), l.replicas}, nil
}
func (l ringLayout) crash(m string) (layout, error) { return l.leave(m) }
func (l ringLayout) replicated() layout             { return ringLayout{l.r, l.names, true} }

// slotLayout gives every master a dedicated replica node, "<master>/replica", as
// `--cluster-replicas 1` does; a crashed master's replica is promoted.
type slotLayout struct {
	p        *slot.Partitioner
	names    []string // masters, then replica nodes when replicas is set
	bySlot   *[slot.Count]int32
	replicas bool
}

func replicaOf(master string) string { return master + "/replica" }

func newSlotLayout(p *slot.Partitioner, replicas bool) slotLayout {
	l := slotLayout{p: p, names: p.Members(), bySlot: new([slot.Count]int32), replicas: replicas}
	if replicas {
		for _, m := range p.Members() {
			l.names = append(l.names, replicaOf(m))
		}
	}
	index := map[string]int32{"": -1}
	for i, n := range l.names {
		index[n] = int32(i)
	}
	t := p.Table()
	for s := range slot.Count {
		l.bySlot[s] = index[t.Owner(s)]
	}
	return l
}

func (l slotLayout) members() []string      { return l.names[:len(l.p.Members())] }
func (l slotLayout) holders() []string      { return l.names }
func (l slotLayout) owner(k *placedKey) int { return int(l.bySlot[k.slot()]) }
func (l slotLayout) locate(k *placedKey) (int, int) {
	o := int(l.bySlot[k.slot()])
	if !l.replicas || o < 0 {
		return o, -1
	}
	return o, o + len(l.p.Members())
}
func (l slotLayout) join(m string) (layout, error) {
	p, err := l.p.Join(m)
	if err != nil {
		return nil, err
	}
	return newSlotLayout(p, l.replicas), nil
}
func (l slotLayout) leave(m string) (layout, error) {
	p, err := l.p.Leave(m)
	if err != nil {
		return nil, err
	}
	return newSlotLayout(p, l.replicas), nil
}
func (l slotLayout) crash(m string) (layout, error) {
	if !l.replicas {
		p, err := l.p.Crash(m)
		if err != nil {
			return nil, err
		}
		return newSlotLayout(p, false), nil
	}
	// The replica is promoted and keeps serving; the new master has no replica of its own.
	p, err := l.p.Failover(m, replicaOf(m))
	if err != nil {
		return nil, err
	}
	next := newSlotLayout(p, false)
	next.replicas = false
	return next, nil
}
func (l slotLayout) replicated() layout { return newSlotLayout(l.p, true) }

// UnmarshalText reads a scheme written by MarshalText.
func (s *Scheme) UnmarshalText(text []byte) error {
	parsed, err := ParseScheme(string(text))
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}
