package sim

import (
	"fmt"
	"math"
	"time"
)

// Faults are the faults a run injects at random. Message faults apply to every link, on
// top of its own settings; node and network faults strike at exponentially distributed
// intervals with the given means (0 turns a fault off).
type Faults struct {
	Drop      float64 // probability that a message is lost
	Duplicate float64 // probability that a message arrives twice
	Reorder   float64 // probability that a message overtakes earlier ones

	PartitionEvery time.Duration // mean time between partitions into two random sides
	PartitionFor   time.Duration // mean duration of a partition
	PauseEvery     time.Duration // mean time between pauses of a random node
	PauseFor       time.Duration // mean duration of a pause
	CrashEvery     time.Duration // mean time between crashes of a random node
	DownFor        time.Duration // mean time a crashed node stays down before it restarts
}

// Swarm draws a run's own fault mix from stream: each fault of max is kept or dropped by a
// coin toss and scaled by a random factor. Across many seeds some runs are calm and some
// stormy, which finds more bugs than one fixed mix ("swarm testing", as in TigerBeetle's
// VOPR).
func Swarm(stream *Stream, max Faults) Faults {
	p := func(x float64) float64 {
		if !stream.Chance(0.5) {
			return 0
		}
		return x * stream.Float64()
	}
	d := func(every time.Duration) time.Duration {
		if every == 0 || !stream.Chance(0.5) {
			return 0
		}
		return time.Duration(float64(every) * (0.5 + 1.5*stream.Float64()))
	}
	return Faults{
		Drop: p(max.Drop), Duplicate: p(max.Duplicate), Reorder: p(max.Reorder),
		PartitionEvery: d(max.PartitionEvery), PartitionFor: max.PartitionFor,
		PauseEvery: d(max.PauseEvery), PauseFor: max.PauseFor,
		CrashEvery: d(max.CrashEvery), DownFor: max.DownFor,
	}
}

func (f Faults) String() string {
	return fmt.Sprintf("drop %.3f dup %.3f reorder %.3f partition every %v pause every %v crash every %v",
		f.Drop, f.Duplicate, f.Reorder, f.PartitionEvery, f.PauseEvery, f.CrashEvery)
}

// A FaultInjector strikes the nodes it was given with random faults until Stop.
type FaultInjector struct {
	sim     *Sim
	faults  Faults
	nodes   []int
	restart func(i int) Node
	rand    Stream
	stopped bool
	down    map[int]bool
	saved   Link
}

// InjectFaults starts striking nodes (by index) with faults. restart builds the state
// machine a crashed node comes back as (from what it persisted); with a nil restart, nodes
// are not crashed. Every draw comes from the stream "faults", so the same seed strikes the
// same way.
func (s *Sim) InjectFaults(f Faults, nodes []int, restart func(i int) Node) *FaultInjector {
	fi := &FaultInjector{sim: s, faults: f, nodes: append([]int(nil), nodes...), restart: restart,
		rand: NewStream(s.seed, "faults"), down: map[int]bool{}, saved: s.net.def}
	def := s.net.def
	def.Drop = 1 - (1-def.Drop)*(1-f.Drop)
	def.Duplicate = 1 - (1-def.Duplicate)*(1-f.Duplicate)
	def.Reorder = 1 - (1-def.Reorder)*(1-f.Reorder)
	s.net.def = def
	fi.next(f.PartitionEvery, fi.partition)
	fi.next(f.PauseEvery, fi.pause)
	if restart != nil {
		fi.next(f.CrashEvery, fi.crash)
	}
	return fi
}

func (fi *FaultInjector) exp(mean time.Duration) time.Duration {
	return time.Duration(-math.Log(1-fi.rand.Float64()) * float64(mean))
}

func (fi *FaultInjector) next(every time.Duration, strike func()) {
	if every <= 0 || len(fi.nodes) == 0 {
		return
	}
	fi.sim.After(fi.exp(every), func() {
		if fi.stopped {
			return
		}
		strike()
		fi.next(every, strike)
	})
}

func (fi *FaultInjector) partition() {
	var a, b []int
	for _, n := range fi.nodes {
		if fi.rand.Chance(0.5) {
			a = append(a, n)
		} else {
			b = append(b, n)
		}
	}
	fi.sim.Partition(a, b)
	fi.sim.After(fi.exp(fi.faults.PartitionFor), func() {
		if !fi.stopped {
			fi.sim.Heal()
		}
	})
}

func (fi *FaultInjector) pause() {
	n := fi.nodes[fi.rand.IntN(len(fi.nodes))]
	fi.sim.Pause(n)
	fi.sim.After(fi.exp(fi.faults.PauseFor), func() { fi.sim.Resume(n) })
}

func (fi *FaultInjector) crash() {
	n := fi.nodes[fi.rand.IntN(len(fi.nodes))]
	if fi.down[n] {
		return
	}
	fi.down[n] = true
	fi.sim.Crash(n)
	fi.sim.After(fi.exp(fi.faults.DownFor), func() { fi.revive(n) })
}

func (fi *FaultInjector) revive(n int) {
	if fi.down[n] {
		delete(fi.down, n)
		fi.sim.Restart(n, fi.restart(n))
	}
}

// Stop ends the faults and starts a quiet phase: random message faults off, partitions
// healed, paused nodes resumed and crashed nodes restarted, so liveness can be checked after
// safety.
func (fi *FaultInjector) Stop() {
	if fi.stopped {
		return
	}
	fi.stopped = true
	fi.sim.net.def = fi.saved
	fi.sim.Heal()
	for _, n := range fi.nodes {
		fi.sim.Resume(n)
		fi.revive(n)
	}
}
