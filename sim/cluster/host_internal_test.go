package cluster

import (
	"testing"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErlangC(t *testing.T) {
	// One server: an arrival waits exactly when the server is busy, a of the time.
	assert.InDelta(t, 0.3, erlangC(1, 0.3), 1e-12)
	// Two servers at offered load 1.3 (65 % each): (1.3²/2 · 2/0.7) / (1 + 1.3 + 1.3²/2 · 2/0.7).
	assert.InDelta(t, 2.4142857/4.7142857, erlangC(2, 1.3), 1e-6)
	// Textbook value: 4 servers at 80 % (a = 3.2) wait 59.6 % of the time.
	assert.InDelta(t, 0.5964, erlangC(4, 3.2), 1e-4)
}

func TestHostLoadWaits(t *testing.T) {
	chance, mean := HostLoad{}.waits()
	assert.Zero(t, chance, "an idle host never waits")
	assert.Zero(t, mean)
	chance, mean = HostLoad{Busy: 0.65}.waits()
	assert.InDelta(t, erlangC(2, 1.3), chance, 1e-12, "2 cores by default")
	assert.InDelta(t, float64(DefaultBurst)/(2*0.35), float64(mean), 1)
	_, mean = HostLoad{Busy: 0.5, Cores: 4, Burst: 8 * time.Millisecond}.waits()
	assert.Equal(t, 4*time.Millisecond, mean, "8 ms / (4 × 0.5)")
	assert.Nil(t, newCPUWait(HostLoad{}, nil), "an idle host needs no waits")
}

// TestCPUWaitDraws: the waits drawn are the model's, a free core with Erlang's C's
// complement and otherwise an exponential wait of the model's mean.
func TestCPUWaitDraws(t *testing.T) {
	s := sim.NewStream(1, "test")
	w := newCPUWait(HostLoad{Busy: 0.65}, &s)
	require.NotNil(t, w)
	const n = 200000
	waited, total := 0, time.Duration(0)
	for range n {
		if d := w.draw(); d > 0 {
			waited++
			total += d
		}
	}
	assert.InDelta(t, w.chance, float64(waited)/n, 0.005)
	assert.InDelta(t, float64(w.mean), float64(total)/float64(waited), 0.02*float64(w.mean))
}

func TestHostLoadValidate(t *testing.T) {
	require.NoError(t, HostLoad{}.Validate())
	require.NoError(t, HostLoad{Busy: 0.99, Cores: 8, Burst: time.Millisecond}.Validate())
	assert.EqualError(t, HostLoad{Busy: 1}.Validate(), "cluster: host busy 1: want a share from 0 to below 1")
	assert.EqualError(t, HostLoad{Busy: -0.1}.Validate(), "cluster: host busy -0.1: want a share from 0 to below 1")
	assert.EqualError(t, HostLoad{Busy: 0.5, Cores: -1}.Validate(), "cluster: host cores -1: want 1 or more (0 for 2)")
	assert.EqualError(t, HostLoad{Busy: 0.5, Burst: -time.Second}.Validate(), "cluster: host burst -1s: want 0 (the default) or more")
	assert.EqualError(t, HostLoad{Busy: 0.5, Exit: -time.Millisecond}.Validate(), "cluster: host exit -1ms: want 0 (the default) or more")
}

// A Unix phase must fall within one second; the builders refuse any other, naming it.
func TestOptionsValidateUnixPhase(t *testing.T) {
	require.NoError(t, Options{UnixPhase: 999 * time.Millisecond}.Validate())
	assert.EqualError(t, Options{UnixPhase: time.Second}.Validate(), "cluster: Unix phase 1s: want from 0 to under a second")
	assert.EqualError(t, Options{UnixPhase: -time.Millisecond}.Validate(), "cluster: Unix phase -1ms: want from 0 to under a second")
	_, _, err := BuildRestored(Options{Masters: 3, UnixPhase: 2 * time.Second})
	assert.EqualError(t, err, "cluster: Unix phase 2s: want from 0 to under a second")
	assert.EqualError(t, Options{Host: HostLoad{Busy: 1}}.Validate(), "cluster: host busy 1: want a share from 0 to below 1")
}

// TestKilledSocketsLinger: on a busy host a SIGKILLed master's connections stay open
// while the kernel tears it down (HostLoad.Exit, after a wait for a core), so the other
// nodes keep their links to it that long; on an idle host they go at once.
func TestKilledSocketsLinger(t *testing.T) {
	linked := func(host HostLoad, after time.Duration) (links, survivors int) {
		cfg := DefaultConfig()
		cfg.NodeTimeout = time.Second
		c, procs, err := BuildRestored(Options{Seed: 3, Masters: 3, Replicas: 1, Config: cfg, Link: Loopback(), Host: host})
		require.NoError(t, err)
		c.Sim.RunFor(5 * time.Second)
		victim := procs[0]
		c.Kill(victim)
		c.Sim.RunFor(after)
		for _, p := range procs[1:] {
			for _, q := range p.Node().order {
				if q.proc == victim.Index && q.link != nil && q.link.connected {
					links++
				}
			}
			survivors++
		}
		return links, survivors
	}
	busy := HostLoad{Busy: 0.3, Exit: 40 * time.Millisecond}
	links, survivors := linked(busy, 30*time.Millisecond)
	assert.Equal(t, survivors, links, "30 ms after the kill every link to it is still up")
	links, _ = linked(busy, 200*time.Millisecond)
	assert.Zero(t, links, "the sockets closed 40 ms and a wait for a core after the kill")
	links, _ = linked(HostLoad{}, 2*time.Millisecond)
	assert.Zero(t, links, "on an unmodelled host the links go at the kill")

	// The time the sockets stay open: at least Exit, plus a core's wait as often as a
	// waking process waits.
	s := sim.NewStream(1, "test")
	n := &Node{cpu: newCPUWait(HostLoad{Busy: 0.65, Exit: 5 * time.Millisecond}, &s)}
	const draws = 100000
	var total time.Duration
	for range draws {
		d := n.exitTime()
		require.GreaterOrEqual(t, d, 5*time.Millisecond)
		total += d
	}
	assert.InDelta(t, float64(5*time.Millisecond)+n.cpu.chance*float64(n.cpu.mean), float64(total)/draws, 0.03*float64(n.cpu.mean))
	assert.Zero(t, (&Node{}).exitTime(), "nothing lingers on an unmodelled host")
}

// A host driven by work needs its cores in the simulation: without them each process's
// work would hold only itself, a host of a core per process. Every builder gives them.
func TestWorkHostNeedsCores(t *testing.T) {
	s, err := sim.New(sim.Config{Seed: 1, Hangups: true})
	require.NoError(t, err)
	c := NewCluster(s)
	c.Host = HostLoad{Work: true}
	_, err = c.Start("a", "127.0.0.1", 6381, DefaultConfig())
	assert.EqualError(t, err, "cluster: a host driven by work needs a simulation with its 2 cores (sim.Config.Cores: HostLoad.SimCores), not 0")
	c, _, err = BuildRestored(Options{Seed: 1, Masters: 3, Host: HostLoad{Work: true, Cores: 4}})
	require.NoError(t, err)
	assert.Equal(t, 4, c.Sim.Cores())
	assert.Equal(t, 0, HostLoad{Busy: 0.5}.SimCores(), "a drawn host: a core per process")
}
