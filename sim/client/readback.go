package client

import (
	"fmt"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
)

// ReadBack reads every key ledger holds, one at a time, through a new go-redis client
// (GoRedis, go-redis's defaults) that knows seeds, and counts per key the acknowledged writes that are missing. A read
// that fails is tried again a second later, five times.
func ReadBack(c *cluster.Cluster, ledger *Ledger, seeds []string) (map[string]int, error) {
	return ReadBackEach(c, ledger, seeds, nil)
}

// ReadBackEach is ReadBack that also gives each key's final read to each, when not nil:
// the read that counted, with its times and reply, for a history of the run.
func ReadBackEach(c *cluster.Cluster, ledger *Ledger, seeds []string, each func(key string, r Result)) (map[string]int, error) {
	reader := NewGoRedis(c, "reader", Options{}, seeds...)
	lost := map[string]int{}
	for _, key := range ledger.Keys() {
		var r Result
		for try := 0; ; try++ {
			var got *Result
			reader.Do(func(res Result) { got = &res }, "GET", key)
			for got == nil && c.Sim.Step() {
			}
			if got == nil {
				return nil, fmt.Errorf("reading %q back: the simulation stopped", key)
			}
			if r = *got; r.Outcome != Failed {
				break
			}
			if try == 5 {
				return nil, fmt.Errorf("reading %q back: %s", key, r.Reply.Str)
			}
			c.Sim.RunFor(time.Second)
		}
		if each != nil {
			each(key, r)
		}
		n, err := ledger.Lost(key, r.Reply.Str, r.Reply.Kind == cluster.Bulk)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			lost[key] = n
		}
	}
	return lost, nil
}
