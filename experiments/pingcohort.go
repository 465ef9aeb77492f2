package experiments

import (
	"fmt"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/sim/rediscli"
)

// PingCohort is what recordings/record-ping-cohort records of one kill, simulated: a
// second before a node timeout has passed since the first master's SIGKILL, each
// surviving master's ping_sent and pong_recv for it, in milliseconds from the kill, the
// masters in port order. A master that has no ping outstanding to the victim has
// NoPing; it flags the victim PFAIL a node timeout after its ping, and FAIL needs a
// quorum of such masters, so these say when FAIL can come.
type PingCohort struct {
	Pings, Pongs []int64
	// Fail is when the first node marked the victim FAIL, from the kill; 0 if none did
	// within three node timeouts.
	Fail time.Duration
}

// NoPing stands in PingCohort.Pings for a master with no ping outstanding.
const NoPing = int64(-1 << 62)

// SimulatePingCohort builds the cluster of opt, kills its first master when
// MeasureFailoverUnder would (15 s plus a random part of a ping period after the
// create), reads every surviving master's CLUSTER NODES a second before a node timeout
// has passed since, and then runs until a node marks the victim FAIL.
func SimulatePingCohort(opt cluster.Options) (PingCohort, error) {
	timeout := opt.WithDefaults().Config.NodeTimeout
	if timeout < 2*time.Second {
		return PingCohort{}, fmt.Errorf("ping cohort: node timeout %v: want at least 2s, the read comes a second before it", timeout)
	}
	c, procs, err := rediscli.Build(opt)
	if err != nil {
		return PingCohort{}, err
	}
	c.Sim.RunUntil(faultMoment(c.Sim, timeout))
	victim := procs[0]
	id := victim.ID()
	at := c.UnixMilli()
	watch := WatchFailover(c, victim)
	c.Kill(victim)
	c.Sim.RunUntil(c.Sim.Now().Add(timeout - time.Second))
	var pc PingCohort
	cli := c.Client()
	for _, p := range procs[1:] {
		if !p.Node().IsMaster() {
			continue
		}
		r, err := cli.Do(p.Addr(), "CLUSTER", "NODES")
		if err != nil {
			return PingCohort{}, err
		}
		ping, pong, err := live.PingPong(r.Str, id)
		if err != nil {
			return PingCohort{}, fmt.Errorf("%s: %w", p.Addr(), err)
		}
		if ping == 0 {
			pc.Pings = append(pc.Pings, NoPing)
		} else {
			pc.Pings = append(pc.Pings, ping-at)
		}
		pc.Pongs = append(pc.Pongs, pong-at)
	}
	for end := c.Sim.Now().Add(2*timeout + time.Second); c.Sim.Now() < end; c.Sim.RunFor(100 * time.Millisecond) {
		if pc.Fail = watch.Timing(opt.Seed).Fail; pc.Fail != 0 {
			break
		}
	}
	return pc, nil
}
