package cluster

import "fmt"

// A Registry is what the simulated network knows and what every node shares: which process
// listens at which address (the routing a real host does), and a table interning node
// names so that nodes can refer to each other by a small number instead of hashing 40-byte
// strings on every gossip entry. Interning is a pure function of the names seen, so it
// changes nothing a node decides.
type Registry struct {
	names []string
	index map[string]int32
	procs map[string]int // "ip:port" (client port) -> engine index of the process there
	ips   []string       // interned IP addresses, for pointer-free gossip entries
	ipIDs map[string]int32
}

// Metrics is the one place nodes write to outside their own state and the engine's
// messages: counters that measurements read and nothing a node decides depends on. A
// Cluster gives every node it starts the same Metrics, so the counts outlive crashes.
type Metrics struct {
	// MigratedKeys and MigratedBytes (key and value lengths) count what MIGRATE has moved
	// between nodes, as the sources counted it when the target confirmed: by redis-cli's
	// reshards and rebalances, and by the handoffs of a placed cluster.
	MigratedKeys, MigratedBytes int64
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{index: map[string]int32{}, procs: map[string]int{}}
}

// nid returns the interned number of name, interning it if new.
func (r *Registry) nid(name string) int32 {
	if i, ok := r.index[name]; ok {
		return i
	}
	i := int32(len(r.names))
	r.names = append(r.names, name)
	r.index[name] = i
	return i
}

// lookupNid returns the number of name if it was ever interned.
func (r *Registry) lookupNid(name string) (int32, bool) {
	i, ok := r.index[name]
	return i, ok
}

// ipID returns the interned number of an IP address ("" included), interning it if new.
// A cluster has a handful of addresses, so the lookup stays in cache.
func (r *Registry) ipID(ip string) int32 {
	if len(r.ips) > 0 && r.ips[len(r.ips)-1] == ip {
		return int32(len(r.ips) - 1)
	}
	if i, ok := r.ipIDs[ip]; ok {
		return i
	}
	if r.ipIDs == nil {
		r.ipIDs = map[string]int32{}
	}
	i := int32(len(r.ips))
	r.ips = append(r.ips, ip)
	r.ipIDs[ip] = i
	return i
}

// ipName returns the IP address interned as id.
func (r *Registry) ipName(id int32) string { return r.ips[id] }

// name returns the name interned as nid.
func (r *Registry) name(nid int32) string { return r.names[nid] }

// Listen records that the process with engine index proc serves ip:port (its cluster bus
// being on port+10000).
func (r *Registry) Listen(ip string, port, proc int) {
	r.procs[fmt.Sprintf("%s:%d", ip, port)] = proc
}

// Process returns the engine index of the process serving ip:port.
func (r *Registry) Process(ip string, port int) (int, bool) {
	p, ok := r.procs[fmt.Sprintf("%s:%d", ip, port)]
	return p, ok
}
