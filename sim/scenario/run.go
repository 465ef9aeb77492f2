package scenario

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kvplace/kvplace/sim/rediscli"
	"github.com/kvplace/kvplace/slot"
)

// Options configure a run.
type Options struct {
	Seed uint64 // the simulation's root seed (simulated runs only)
	Time bool   // prefix each command with the (virtual or real) time since the start
	Dir  string // live runs: where the servers keep their files (default: a temporary directory, removed)
	// Brief folds redis-cli's per-slot "Moving slot" lines of a reshard or rebalance into
	// one line per run of slots with the same source and target (see briefWriter).
	Brief bool
	// Trace, for a simulated run, receives the run's Chrome/Perfetto trace (see
	// sim.Trace.WriteChrome) when the run ends, also when it stops at a line; a live run
	// refuses it, having no trace.
	Trace io.Writer
	// Nodes, for a simulated run, starts it from a copy of the cluster this CLUSTER NODES
	// reply describes instead of from nothing: its nodes run as containers redis-node-1,
	// -2, … (in the reply's order) at their own addresses, with their IDs, roles, slots and
	// epochs, no data, and the default configuration (node timeout 15 s). A live run
	// refuses it.
	Nodes []slot.NodeLine
	// Slowdown, for a simulated run, is how much slower the host is than the one the costs
	// of big values were recorded on (cluster.Cluster.Slowdown); 0 means 1. A live run
	// refuses it: its host is what it is.
	Slowdown float64
	// Pairing, for a simulated run, is the replica pairing its creates take (replica
	// address → master address) instead of drawing redis-cli's anti-affinity swaps, which
	// real redis-cli seeds from its clock: Diff takes the real run's (see RealPairing). A
	// live run refuses it.
	Pairing map[string]string
	// Draws, for a simulated run, are what the real run's redis-cli showed of its node
	// list, by the runbook line of the --cluster command that showed it: the simulated
	// redis-cli takes that order instead of its own (rediscli.RealDraws). Diff takes the
	// real run's (see RealListDraws). A live run refuses them.
	Draws map[int]*rediscli.RealDraws
}

// A backend carries out runbook commands: in simulation or against real Redis.
type backend interface {
	// elapsed returns the time since the run started.
	elapsed() time.Duration
	// exec runs one step, writing what the tool would print. An error stops the run: it is
	// for a step that cannot be carried out at all (an unknown node in a simulator verb),
	// not for a refusal, which is printed.
	exec(s Step, out io.Writer) error
	// scheduled returns, once, the error of a step that an `after` line ran since the
	// last call: it stops the run at the line being run when it fired.
	scheduled() error
	close() error
}

// A scheduledFailure keeps the first error of the steps `after` lines ran later, which no
// caller is waiting for when they fire.
type scheduledFailure struct{ err error }

// record keeps err, the outcome of the step that s, an `after` line, scheduled.
func (f *scheduledFailure) record(s Step, err error) {
	if err != nil && f.err == nil {
		f.err = fmt.Errorf("the step scheduled at line %d (%s): %w", s.Line, s.Text, err)
	}
}

// take returns the kept error and forgets it.
func (f *scheduledFailure) take() error {
	err := f.err
	f.err = nil
	return err
}

// ErrStopped wraps the error that stopped a run at a line.
var ErrStopped = errors.New("runbook stopped")

func run(rb *Runbook, b backend, out io.Writer, opt Options) (err error) {
	defer b.close()
	if opt.Brief {
		bw := newBriefWriter(out)
		defer func() {
			if cerr := bw.Close(); err == nil {
				err = cerr
			}
		}()
		out = bw
	}
	for _, s := range rb.Steps {
		if opt.Time {
			fmt.Fprintf(out, "[%9.3fs] $ %s\n", b.elapsed().Seconds(), s.Text)
		} else {
			fmt.Fprintf(out, "$ %s\n", s.Text)
		}
		err := b.exec(s, out)
		if err == nil {
			err = b.scheduled()
		}
		if err != nil {
			return fmt.Errorf("%w at line %d (%s): %v", ErrStopped, s.Line, s.Text, err)
		}
	}
	return nil
}

// scheduledNodes returns the nodes a scheduled fault names, so that a backend can refuse an
// `after` line naming no node of the runbook when it is read rather than when it fires.
func scheduledNodes(cmd Command) []string {
	switch c := cmd.(type) {
	case DockerStop:
		return c.Names
	case DockerKill:
		return c.Names
	case DockerStart:
		return c.Names
	case Pause:
		return []string{c.Node}
	case Resume:
		return []string{c.Node}
	case Partition:
		var all []string
		for _, g := range c.Groups {
			all = append(all, g...)
		}
		return all
	}
	return nil
}

// idEntry is the node whose view of the cluster names t's nodes by ID: the first
// argument, or for add-node the node of the cluster it joins (the new one knows nobody).
func idEntry(t ClusterTool) string {
	if t.Sub == "add-node" {
		return t.Args[1]
	}
	return t.Args[0]
}

// idsByAddr maps each node's HOST:PORT in a CLUSTER NODES reply to its ID; it is empty
// when the reply does not parse.
func idsByAddr(nodes string) map[string]string {
	ids := map[string]string{}
	parsed, err := slot.ParseNodes(nodes)
	if err != nil {
		return ids
	}
	for _, n := range parsed {
		ids[n.Addr] = n.ID
	}
	return ids
}
