package experiments

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/cluster"
)

// SimulatedMigrate is how long a MIGRATE of one value holds its source's event loop in
// simulation, as calibration/record-migrate-cost measures it on real servers: two
// single-node clusters on loopback, the value written on one ("string" of size bytes, or a
// hash of size fields as `load hash` writes it) and moved to the other. It is the median
// over seeds 1-3, on a host slowdown times slower than the calibration's.
func SimulatedMigrate(typ string, size int, slowdown float64) (time.Duration, error) {
	var took []time.Duration
	for seed := uint64(1); seed <= 3; seed++ {
		s, err := sim.New(sim.Config{Seed: seed, Link: cluster.Loopback()})
		if err != nil {
			return 0, err
		}
		c := cluster.NewCluster(s)
		c.Slowdown = slowdown
		var addrs []string
		for i, port := range []int{7001, 7002} {
			p, err := c.Start("n"+strconv.Itoa(i), "127.0.0.1", port, cluster.DefaultConfig())
			if err != nil {
				return 0, err
			}
			addrs = append(addrs, p.Addr())
		}
		cl := c.Client()
		do := func(addr string, args ...string) error {
			r, err := cl.Do(addr, args...)
			if err == nil && r.IsError() {
				err = fmt.Errorf("%s: %s", args[0], r.Str)
			}
			return err
		}
		for _, a := range addrs {
			if err := do(a, "CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
				return 0, err
			}
		}
		s.RunFor(6 * time.Second)
		switch typ {
		case "string":
			err = do(addrs[0], "SET", "big", strings.Repeat("x", size))
		case "hash":
			err = do(addrs[0], "EVAL", cluster.LoadHashScript, "1", "big", strconv.Itoa(size))
		default:
			err = fmt.Errorf("type %q: want string or hash", typ)
		}
		if err != nil {
			return 0, err
		}
		// The source's time in MIGRATE: the client's wait less its round trip.
		began := s.Now()
		if err := do(addrs[0], "PING"); err != nil {
			return 0, err
		}
		rtt := s.Now() - began
		began = s.Now()
		if err := do(addrs[0], "MIGRATE", "127.0.0.1", "7002", "", "0", "600000", "KEYS", "big"); err != nil {
			return 0, err
		}
		took = append(took, time.Duration(s.Now()-began-rtt))
	}
	slices.Sort(took)
	return took[1], nil
}
