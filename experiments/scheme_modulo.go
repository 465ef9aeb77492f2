package experiments

import (
	"github.com/kvplace/kvplace/modulo"
	"github.com/kvplace/kvplace/sim/cluster"
)

// moduloScheme is "modulo": hash(key) % N, with xxHash64.
type moduloScheme struct{}

func init() {
	registerScheme(schemeKind{name: "modulo", forms: []string{"modulo"}, parse: func(_, _ string, hasArg bool) (scheme, error) {
		if hasArg {
			return nil, errNotThisKind
		}
		return moduloScheme{}, nil
	}})
}

func (moduloScheme) String() string { return "modulo" }
func (moduloScheme) planned() bool  { return false }

func (moduloScheme) checkInCluster() error { return nil }

func (moduloScheme) layout(members []string) (layout, error) {
	m, err := modulo.New(members, nil)
	if err != nil {
		return nil, err
	}
	return moduloLayout{m: m}, nil
}

func (moduloScheme) inCluster() clusterScheme {
	return placedScheme{func(members []string) (cluster.Partitioner, error) { return modulo.New(members, nil) }}
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
	n, err := l.m.Join(m)
	return moduloLayout{n, l.replicas}, err
}
func (l moduloLayout) leave(m string) (layout, error) {
	n, err := l.m.Leave(m)
	return moduloLayout{n, l.replicas}, err
}
func (l moduloLayout) crash(m string) (layout, error) { return l.leave(m) }
func (l moduloLayout) replicated() layout             { return moduloLayout{l.m, true} }
