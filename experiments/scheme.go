package experiments

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/kvplace/kvplace/modulo"
	"github.com/kvplace/kvplace/ring"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/slot"
)

// A Scheme is a placement scheme with its parameters, written as on the command line:
// "modulo", "ring:100" (a consistent-hash ring with 100 virtual nodes per member),
// "ring:1:21" (one virtual node per member, each key looked up at 21 probes: the
// multi-probe ring of ring.Config.Probes), "slots" (Redis hash slots, scaled the seed
// tutorial's way with reshard) or "slots:rebalance" (scaled with redis-cli's rebalance).
//
// A Scheme is a value that knows how to build itself over a membership and how to change
// it, in the key-counting measurements and in the simulated cluster alike. Each scheme is
// one file (scheme_modulo.go, scheme_ring.go, scheme_slots.go) that registers its parser:
// a fourth one is a fourth file. Two Schemes are equal when they print the same. The zero
// Scheme is none, and the experiments refuse it.
type Scheme struct{ s scheme }

// scheme is what each placement scheme implements. Its values must be comparable: Scheme
// equality is theirs.
type scheme interface {
	String() string
	// layout builds the scheme over members, for the measurements that count keys.
	layout(members []string) (layout, error)
	// planned reports whether ownership changes by planned moves (slots), so that two
	// layouts over the same members may still differ; otherwise a layout is a function of
	// its members.
	planned() bool
	// inCluster is how the simulated cluster runs the scheme; checkInCluster refuses
	// parameters it cannot run there.
	inCluster() clusterScheme
	checkInCluster() error
}

// A clusterScheme is how a scheme places keys in the simulated cluster and how a master
// joins and leaves it there.
type clusterScheme interface {
	// placement is the cluster's Placement; nil places keys by the cluster's own slots.
	placement() cluster.Placement
	// grow adds the started process p to the cluster as a master and moves keys to it.
	grow(r *movementRun, p *cluster.Process) error
	// shrink takes the master p, whose ID is id, out of the cluster with its keys.
	shrink(r *movementRun, p *cluster.Process, id string) error
}

// A schemeKind parses the schemes written "<name>" or "<name>:<arg>".
type schemeKind struct {
	name  string
	forms []string // how its schemes are written, for the error on a scheme nobody parses
	parse func(text, arg string, hasArg bool) (scheme, error)
}

// schemeKinds are the registered kinds, in registration order (each file's init).
var schemeKinds []schemeKind

func registerScheme(k schemeKind) { schemeKinds = append(schemeKinds, k) }

// errNotThisKind tells ParseScheme that a kind does not know the text, so that the error
// names every scheme that can be written.
var errNotThisKind = errors.New("not a scheme of this kind")

// ParseScheme reads a scheme written as String writes it.
func ParseScheme(text string) (Scheme, error) {
	name, arg, hasArg := strings.Cut(text, ":")
	var forms []string
	for _, k := range schemeKinds {
		forms = append(forms, k.forms...)
		if k.name != name {
			continue
		}
		s, err := k.parse(text, arg, hasArg)
		if errors.Is(err, errNotThisKind) {
			continue
		}
		if err != nil {
			return Scheme{}, err
		}
		return Scheme{s}, nil
	}
	last := len(forms) - 1
	return Scheme{}, fmt.Errorf("scheme %q: want %s or %s", text, strings.Join(forms[:last], ", "), forms[last])
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

// FormatInts writes xs as ParseInts reads them: comma-separated, as "30,60".
func FormatInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// ParseMasters reads the -masters flag of the live recorders: comma-separated cluster
// sizes in masters, each from 3 (the least redis-cli creates) to 500 (1000 servers with
// their replicas, about what one host's ports and memory allow).
func ParseMasters(text string) ([]int, error) {
	masters, err := ParseInts("masters", text)
	if err != nil {
		return nil, err
	}
	if len(masters) == 0 {
		return nil, fmt.Errorf("-masters %q: no cluster size", text)
	}
	for _, m := range masters {
		if m < 3 || m > 500 {
			return nil, fmt.Errorf("-masters %q: %d is not from 3 to 500", text, m)
		}
	}
	return masters, nil
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

// String writes the scheme as ParseScheme reads it; the zero Scheme is "".
func (s Scheme) String() string {
	if s.s == nil {
		return ""
	}
	return s.s.String()
}

// IsZero reports whether s is the zero Scheme, no scheme at all.
func (s Scheme) IsZero() bool { return s.s == nil }

// MarshalText writes the scheme as String does, so JSON shows "ring:100".
func (s Scheme) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a scheme written by MarshalText.
func (s *Scheme) UnmarshalText(text []byte) error {
	parsed, err := ParseScheme(string(text))
	if err != nil {
		return err
	}
	*s = parsed
	return nil
}

var errNoScheme = errors.New("the zero Scheme is no placement scheme")

// newLayout builds scheme s over members.
func (s Scheme) newLayout(members []string) (layout, error) {
	if s.s == nil {
		return nil, errNoScheme
	}
	return s.s.layout(members)
}

// planned reports whether s changes ownership by planned moves (see scheme.planned).
func (s Scheme) planned() bool { return s.s != nil && s.s.planned() }

// inCluster is how the simulated cluster runs s, or why it cannot.
func (s Scheme) inCluster() (clusterScheme, error) {
	if s.s == nil {
		return nil, errNoScheme
	}
	if err := s.s.checkInCluster(); err != nil {
		return nil, err
	}
	return s.s.inCluster(), nil
}

// membership is the vocabulary the layouts use of a placement package's partitioner: it is
// immutable, and a member joining or leaving builds a new one. modulo, ring and slot say
// it alike; the assertions below keep them from drifting apart.
type membership[P any] interface {
	Owner(key string) string
	Members() []string
	Join(member string) (P, error)
	Leave(member string) (P, error)
}

var (
	_ membership[*modulo.Modulo]    = (*modulo.Modulo)(nil)
	_ membership[*ring.Ring]        = (*ring.Ring)(nil)
	_ membership[*slot.Partitioner] = (*slot.Partitioner)(nil)
)

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
