// Package rediscli is `redis-cli --cluster` for a simulated cluster: create, add-node,
// del-node, reshard, rebalance, check, info, call, set-timeout and fix, sending the same
// commands in the same order as redis-cli 7.0.15 (redis-cli.c, clusterManagerCommand*) and
// printing what it prints. It drives the nodes of package cluster only through those
// commands, over a client connection, moving virtual time forward while it waits for each
// reply, as the real redis-cli runs outside Redis.
//
// Build starts the processes of a cluster and creates it as the seed tutorial does:
//
//	c, procs, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Replicas: 1, Config: cluster.DefaultConfig(), Link: cluster.Loopback()})
//	cli := rediscli.New(c, os.Stdout)
//	err = cli.Reshard(procs[0].Addr(), rediscli.ReshardOptions{From: "all", To: procs[1].Node().ID(), Slots: 100, Yes: true})
//
// AddMember and RemoveMember are kvplace's own verbs for clusters that place keys by a
// Placement: they join or take out a master and its token.
package rediscli
