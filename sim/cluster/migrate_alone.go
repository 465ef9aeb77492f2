package cluster

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
)

// SimulateMigrate measures one MIGRATE in simulation the way calibration/record-migrate-cost
// measures it on real servers: two single-node clusters on loopback, a value written on one
// (typ "string" of size bytes, or "hash", "list", "set" or "zset" of size elements as
// `load` writes it) and
// moved to the other. It returns the time the source spent in the command, which its
// event loop was held for: the client's wait less its round trip, as INFO commandstats
// counts it. seed draws the nodes' costs; slowdown is Cluster.Slowdown.
func SimulateMigrate(typ string, size int, seed uint64, slowdown float64) (time.Duration, error) {
	c, procs, err := startPair(seed, slowdown)
	if err != nil {
		return 0, err
	}
	return migrateOnPair(c, procs, typ, size)
}

// startPair starts two single-node clusters on loopback (ports 7001 and 7002), each owning
// every slot, and waits out a new master's rejoin delay before cluster_state:ok.
func startPair(seed uint64, slowdown float64) (*Cluster, []*Process, error) {
	s, err := sim.New(sim.Config{Seed: seed, Link: Loopback()})
	if err != nil {
		return nil, nil, err
	}
	c := NewCluster(s)
	c.Slowdown = slowdown
	var procs []*Process
	for i, port := range []int{7001, 7002} {
		p, err := c.Start("n"+strconv.Itoa(i), "127.0.0.1", port, DefaultConfig())
		if err != nil {
			return nil, nil, err
		}
		procs = append(procs, p)
	}
	for _, p := range procs {
		if err := pairDo(c, p, "CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
			return nil, nil, err
		}
	}
	s.RunFor(6 * time.Second)
	return c, procs, nil
}

// migrateOnPair writes the value "big" on the first node of a pair and MIGRATEs it to the
// second, returning the source's time in the command (see SimulateMigrate).
func migrateOnPair(c *Cluster, procs []*Process, typ string, size int) (time.Duration, error) {
	var err error
	switch typ {
	case "string":
		err = pairDo(c, procs[0], "SET", "big", strings.Repeat("x", size))
	default:
		script, ok := LoadScripts[typ]
		if !ok {
			return 0, fmt.Errorf("cluster: type %q: want string, hash, list, set or zset", typ)
		}
		err = pairDo(c, procs[0], "EVAL", script, "1", "big", strconv.Itoa(size))
	}
	if err != nil {
		return 0, err
	}
	began := c.Sim.Now()
	if err := pairDo(c, procs[0], "PING"); err != nil {
		return 0, err
	}
	rtt := c.Sim.Now() - began
	began = c.Sim.Now()
	if err := pairDo(c, procs[0], "MIGRATE", "127.0.0.1", strconv.Itoa(procs[1].Port), "", "0", "600000", "KEYS", "big"); err != nil {
		return 0, err
	}
	return time.Duration(c.Sim.Now() - began - rtt), nil
}

// pairDo sends a command to p and turns an error reply into an error.
func pairDo(c *Cluster, p *Process, args ...string) error {
	r, err := c.Client().Do(p.Addr(), args...)
	if err == nil && r.IsError() {
		err = fmt.Errorf("cluster: %s: %s", args[0], r.Str)
	}
	return err
}
