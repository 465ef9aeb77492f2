// Package cluster is Redis Cluster 7.0's redis-server, modelled on the deterministic engine
// of package sim: gossip over the cluster bus, PFAIL and FAIL, replica elections and manual
// failovers, asynchronous replication with PSYNC and full copies (the master's child
// writing the RDB, the replica flushing its old data and answering -LOADING while it loads
// the copy, each timed from recordings of a real 7.0.15), MIGRATE, MOVED and ASK, CONFIG GET/SET,
// and keys placed by a ring or hash % N instead of slots (Placement). A Cluster is the
// host the processes run on: Start, Stop, Kill, Restart, Pause.
//
// Nodes are sans-I/O state machines: they change only through what the engine hands them
// (a message, a timer) and speak only through the commands a client sends (Client). The
// emulated redis-cli that builds and reshards a cluster is package sim/rediscli; the
// cluster-aware application client is package sim/client; measurements live in
// experiments.
//
// A 3-master, 3-replica cluster made as the seed tutorial makes it, a master killed, and
// its replica promoted:
//
//	c, procs, _ := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Replicas: 1, Config: cluster.DefaultConfig(), Link: cluster.Loopback()})
//	c.Sim.RunFor(10 * time.Second) // the replicas' first sync (repl-diskless-sync-delay is 5 s)
//	c.Kill(procs[0])
//	c.Sim.RunFor(time.Minute)
//	fmt.Println(procs[1].Node().Owner(0)) // the promoted replica's address
package cluster
