// Command record-gossip-race records how long the nodes of a real cluster take to learn of
// a node `redis-cli --cluster add-node` has just added: the race behind the seed
// tutorial's `del-node` refused with `ERR Unknown node` by a node gossip had not reached,
// which sim/rediscli's TestGossipRaceMatchesRealRedis holds the simulation to.
//
// Each run starts a cluster of N nodes (N/2 masters with a replica each, node timeout
// 15 s, redis-cli --cluster create), waits until every node knows every other and 2 s
// more, starts one more server and adds it with `redis-cli --cluster add-node NEW ENTRY`
// (ENTRY the first master). From the moment add-node returns, at 1, 3, 5 and 10 s, it
// asks each of the N nodes for CLUSTER NODES, on connections opened beforehand, and counts
// those whose reply does not list the new node's ID (a node still in handshake with it
// lists it under another, random, ID). Each run prints one line:
//
//	nodes run unknown_1s unknown_3s unknown_5s unknown_10s load1
//
// load1 is the host's 1-minute load average when the run ended. Run from the repository
// root, with the machine otherwise idle:
//
//	go run ./sim/cluster/calibration/record-gossip-race > sim/cluster/calibration/gossip-race.txt
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim/live"
)

// Ks are the times after add-node at which the nodes are asked.
var Ks = []time.Duration{time.Second, 3 * time.Second, 5 * time.Second, 10 * time.Second}

func main() {
	runs := flag.Int("runs", 12, "runs per cluster size")
	sizes := flag.String("nodes", "8,30", "cluster sizes, comma-separated even numbers of at least 6")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: record-gossip-race [-runs N] [-nodes 8,30]")
		flag.PrintDefaults()
	}
	flag.Parse()
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n < 6 || n%2 != 0 {
			fmt.Fprintf(os.Stderr, "record-gossip-race: -nodes %q: %q is not an even number of at least 6\n", *sizes, f)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	if flag.NArg() > 0 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := record(ns, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "record-gossip-race:", err)
		os.Exit(1)
	}
}

func record(ns []int, runs int) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	fmt.Printf("# %s, record-gossip-race -runs %d -nodes %s\n", live.Version(), runs, strings.ReplaceAll(joinInts(ns), " ", ","))
	fmt.Println("# nodes run unknown_1s unknown_3s unknown_5s unknown_10s load1")
	for _, n := range ns {
		ports, err := live.FreePorts(n + 1)
		if err != nil {
			return err
		}
		for run := 1; run <= runs; run++ {
			unknown, err := once(n, ports)
			if err != nil {
				return fmt.Errorf("%d nodes, run %d: %w", n, run, err)
			}
			fmt.Printf("%d %d %s %s\n", n, run, joinInts(unknown), live.Load1())
		}
	}
	return nil
}

func once(n int, ports []int) (unknown []int, err error) {
	dir, err := os.MkdirTemp("", "kvplace-gossip-race-")
	if err != nil {
		return nil, err
	}
	forget := live.RemoveOnInterrupt(dir)
	defer func() { os.RemoveAll(dir); forget() }()
	args := []string{"--cluster-node-timeout", "15000"}
	c, err := live.StartCluster(live.ClusterSpec{Dir: dir, Ports: ports[:n], Masters: n / 2, Replicas: 1, Args: args})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := waitAllKnown(c.Servers, time.Minute); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second)
	conns := make([]*live.Conn, n)
	for i, s := range c.Servers {
		if conns[i], err = live.Dial(s.Addr(), 2*time.Second); err != nil {
			return nil, err
		}
		defer conns[i].Close()
	}
	added := &live.Server{Port: ports[n], Dir: dir + "/added", Args: args}
	if err := added.Start(); err != nil {
		return nil, err
	}
	defer added.Kill()
	if out, err := live.CLI("--cluster", "add-node", added.Addr(), c.Servers[0].Addr()); err != nil {
		return nil, fmt.Errorf("add-node: %v\n%s", err, out)
	}
	t0 := time.Now()
	id, err := live.String(added.Do("CLUSTER", "MYID"))
	if err != nil {
		return nil, err
	}
	for _, k := range Ks {
		time.Sleep(time.Until(t0.Add(k)))
		count := 0
		for _, cn := range conns {
			nodes, err := live.String(cn.Do("CLUSTER", "NODES"))
			if err != nil {
				return nil, err
			}
			if !strings.Contains(nodes, id) {
				count++
			}
		}
		unknown = append(unknown, count)
	}
	return unknown, nil
}

// waitAllKnown waits until every server's CLUSTER NODES lists as many connected nodes as
// there are servers, none in handshake.
func waitAllKnown(servers []*live.Server, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		all := true
		for _, s := range servers {
			nodes, err := live.ClusterNodes(s.Addr())
			if err != nil || strings.Count(nodes, " connected") < len(servers) || strings.Contains(nodes, "handshake") {
				all = false
				break
			}
		}
		if all {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the nodes did not all know each other within " + limit.String())
}

func joinInts(xs []int) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.Itoa(x))
	}
	return strings.Join(s, " ")
}
