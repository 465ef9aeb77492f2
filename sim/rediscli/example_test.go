package rediscli_test

import (
	"fmt"
	"strings"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
)

// The seed tutorial's cluster, checked as `redis-cli --cluster check` checks it.
func ExampleCLI_Check() {
	c, procs, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 3, Replicas: 1, Config: cluster.DefaultConfig(), Link: cluster.Loopback()})
	if err != nil {
		fmt.Println(err)
		return
	}
	var out strings.Builder
	if err := rediscli.New(c, &out).Check(procs[0].Addr()); err != nil {
		fmt.Println(err)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "[") {
			fmt.Println(line)
		}
	}
	// Output:
	// [OK] 0 keys in 3 masters.
	// [OK] All nodes agree about slots configuration.
	// [OK] All 16384 slots covered.
}

// Building a cluster of two masters is refused with redis-cli's own words.
func ExampleBuild_tooFewMasters() {
	_, _, err := rediscli.Build(cluster.Options{Seed: 1, Masters: 2, Config: cluster.DefaultConfig(), Link: cluster.Loopback()})
	fmt.Println(err)
	// Output:
	// redis-cli exited with status 1:
	// *** ERROR: Invalid configuration for cluster creation.
	// *** Redis Cluster requires at least 3 master nodes.
	// *** This is not possible with 2 nodes and 0 replicas per node.
	// *** At least 3 nodes are required.
}
