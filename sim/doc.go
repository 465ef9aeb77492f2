// Package sim is a deterministic discrete-event simulator for cluster protocols.
//
// One loop fires events from a radix heap ordered by (virtual time, insertion order).
// Nodes are sans-I/O state machines (Node: Start, Step, Timer) that answer only through the
// Context they are handed, as etcd's raft does; the engine delivers their messages through
// a Network that can delay, lose, duplicate, reorder and throttle them, and cut nodes apart.
// Nodes can crash (losing unpersisted state), restart, stall and run with an offset clock.
//
// Determinism is structural: time is virtual (Time, nanoseconds), no goroutine runs
// simulation code, no decision depends on map order, and every random draw comes from a
// Stream named after what draws it ("node/6381", "link/6381/6382", "faults") under one
// root seed, so adding a node never changes what the others draw. The Trace hashes every
// event; two runs of the same seed give the same hash.
//
//	s, _ := sim.New(sim.Config{Seed: 1, Link: sim.Link{Latency: sim.Uniform{Min: 100 * time.Microsecond, Max: 300 * time.Microsecond}}})
//	a, _ := s.AddNode("a", nodeA)
//	s.RunFor(10 * time.Second)
//	fmt.Printf("%x\n", s.Trace().Hash())
//
// It knows no protocol and no placement scheme: the cluster model (sim/cluster) declares
// the Partitioner it consumes.
package sim
