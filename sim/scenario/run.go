package scenario

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Options configure a run.
type Options struct {
	Seed uint64 // the simulation's root seed (simulated runs only)
	Time bool   // prefix each command with the (virtual or real) time since the start
	Dir  string // live runs: where the servers keep their files (default: a temporary directory, removed)
}

// A backend carries out runbook commands: in simulation or against real Redis.
type backend interface {
	// elapsed returns the time since the run started.
	elapsed() time.Duration
	// exec runs one step, writing what the tool would print. An error stops the run: it is
	// for a step that cannot be carried out at all (an unknown node in a simulator verb),
	// not for a refusal, which is printed.
	exec(s Step, out io.Writer) error
	close() error
}

// ErrStopped wraps the error that stopped a run at a line.
var ErrStopped = errors.New("runbook stopped")

func run(rb *Runbook, b backend, out io.Writer, opt Options) error {
	defer b.close()
	for _, s := range rb.Steps {
		if opt.Time {
			fmt.Fprintf(out, "[%9.3fs] $ %s\n", b.elapsed().Seconds(), s.Text)
		} else {
			fmt.Fprintf(out, "$ %s\n", s.Text)
		}
		if err := b.exec(s, out); err != nil {
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
