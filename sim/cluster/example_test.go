package cluster_test

import (
	"fmt"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
)

// A 3-master, 3-replica cluster built as the seed tutorial builds it, the first master
// killed, and its replica promoted.
func Example() {
	c, procs, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Replicas: 1, Config: cluster.DefaultConfig(), Link: cluster.Loopback()})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := c.WaitReady(time.Minute); err != nil { // the replicas' first sync waits repl-diskless-sync-delay, 5 s
		fmt.Println(err)
		return
	}
	victim := procs[0]
	fmt.Println("slot 0 is served by", procs[1].Node().Owner(0))
	killed := c.Sim.Now()
	c.Kill(victim)
	c.Sim.RunFor(time.Minute) // node timeout 15 s: PFAIL, FAIL, election
	for _, p := range procs {
		for _, e := range p.Node().Events {
			if e.Kind == cluster.EvPromoted {
				fmt.Printf("%s was promoted %v after the kill\n", p.Addr(), e.At.Sub(killed).Round(time.Second))
			}
		}
	}
	fmt.Println("slot 0 is served by", procs[1].Node().Owner(0))
	// Output:
	// slot 0 is served by 127.0.0.1:6381
	// 127.0.0.1:6384 was promoted 23s after the kill
	// slot 0 is served by 127.0.0.1:6384
}
