package cluster

import (
	"fmt"
	"io"
	"time"

	"github.com/kvplace/kvplace/sim"
)

// Loopback returns the link between processes on one host: tens to a couple of hundred
// microseconds, as measured between redis-server processes on loopback. Each call returns
// a fresh value, so a caller may change its copy (its bandwidth, say) for its own run.
func Loopback() sim.Link {
	return sim.Link{Latency: sim.Uniform{Min: 50 * time.Microsecond, Max: 250 * time.Microsecond}}
}

// ClientLoopback returns the link between a client, such as redis-cli, and a server on the
// same host: a command's round trip, server's work included, of 40 to 240 µs, 140 µs on
// average. Real redis-cli 7.0.15 moves an empty slot (seven commands) in 0.98 ms on loopback
// here (sim/scenario/testdata/reshard-timings.txt); with Loopback, the cluster bus's
// link, the emulation took 2.1 ms.
func ClientLoopback() sim.Link {
	return sim.Link{Latency: sim.Uniform{Min: 20 * time.Microsecond, Max: 120 * time.Microsecond}}
}

// Options describe a simulated cluster built the way the seed tutorial builds one: processes
// started on one host from port 6381 up, then `redis-cli --cluster create --cluster-replicas`.
//
// The zero value of each field is usable: a zero Config means DefaultConfig() (Redis's
// own defaults, node timeout 15 s), and a zero Link a network without delay.
type Options struct {
	Seed     uint64
	Masters  int
	Replicas int    // per master
	Config   Config // zero means DefaultConfig()
	Link     sim.Link
	Trace    bool      // keep the simulation's trace records
	Out      io.Writer // what redis-cli prints; nil discards it
	// Placement, when set, places keys by a partitioner instead of by slots: create gives
	// each master one token (see Placement).
	Placement Placement
	// Slowdown is the host's speed against the calibration's (Cluster.Slowdown); 0 means 1.
	Slowdown float64
	// Host is how busy the processes' host is (see HostLoad); the zero value is an idle
	// host.
	Host HostLoad
	// UnixPhase is how far into a Unix second the host's clock is at virtual time 0 (see
	// Cluster.UnixPhase).
	UnixPhase time.Duration
	// LiveStarts starts the servers one after another, each LiveStartup after the previous,
	// as live.StartCluster does, instead of all at one instant.
	LiveStarts bool
}

// Validate checks what a builder cannot repair: the host's load and the Unix phase.
func (o Options) Validate() error {
	if err := o.Host.Validate(); err != nil {
		return err
	}
	if o.UnixPhase < 0 || o.UnixPhase >= time.Second {
		return fmt.Errorf("cluster: Unix phase %v: want from 0 to under a second", o.UnixPhase)
	}
	return nil
}

// WithDefaults returns o with its zero fields replaced by the defaults they stand for.
func (o Options) WithDefaults() Options {
	if o.Config == (Config{}) {
		o.Config = DefaultConfig()
	}
	return o
}

// MaxProcesses is how many processes fit on one host from port 6381 up, each with its
// cluster bus port 10000 above.
const MaxProcesses = 65535 - clusterPortIncrement - 6381 + 1

// LiveStartup draws how long the live backend takes to start one redis-server before it
// starts the next (sim/live.Server.Start, which live.StartCluster and the scenario's
// docker run step use): it starts the process and polls it every 20 ms until it answers
// PING, so the server is found up at the second poll (24 to 37 ms, 5 to 95 % 26 to 31)
// or the third (43 to 51, 44 to 47); drawn uniform from 25.5 to 31.5 ms and from 43.5 to
// 47 ms. Which one changes with the host's state, in streaks:
// of twelve recorded runs of 16 starts (sim/scenario/testdata/docker-run-timings.txt),
// two had every start at the second poll and two all but one at the third, and six
// earlier runs of 24 starts had 0 to 8 at the second. So each run draws its share of
// starts at the second poll, uniform from 0 to 1, and each start draws from it.
//
// Servers started this far apart ping their peers at phases spread over the second;
// started at one instant, the simulated ones pinged within the same tenth of a second,
// and gossip spread a new cluster faster than real servers do (sim/scenario's
// TestCreateJoinMatchesRealRedis).
type LiveStartup struct {
	st   sim.Stream
	fast float64 // this run's share of starts found up at the second poll
}

// NewLiveStartup draws a run's startups from st.
func NewLiveStartup(st sim.Stream) *LiveStartup {
	l := &LiveStartup{st: st}
	l.fast = l.st.Float64()
	return l
}

// Next is how long the next server takes to start.
func (l *LiveStartup) Next() time.Duration {
	if l.st.Chance(l.fast) {
		return 25500*time.Microsecond + time.Duration(l.st.IntN(6000))*time.Microsecond
	}
	return 43500*time.Microsecond + time.Duration(l.st.IntN(3500))*time.Microsecond
}
