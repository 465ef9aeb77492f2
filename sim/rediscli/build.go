package rediscli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/cluster"
)

// Build starts opt.Masters × (opt.Replicas + 1) processes on 127.0.0.1 from port 6381 up
// and creates the cluster with the emulated redis-cli, as the seed tutorial does. The
// anti-affinity swaps draw from the stream "redis-cli", as redis-cli's do from its clock.
//
// Like redis-cli, Build returns as soon as every node has joined: the replicas' first
// synchronisation is still waiting out repl-diskless-sync-delay (5 s), and a master killed
// now has no replica able to take over (Redis refuses to promote a replica that never
// synchronised). Call Cluster.WaitReady before a fault. When redis-cli refuses the
// cluster, the error carries its reason and wraps ErrCLI.
func Build(opt cluster.Options) (*cluster.Cluster, []*cluster.Process, error) {
	opt = opt.WithDefaults()
	if opt.Masters < 1 || opt.Replicas < 0 {
		return nil, nil, fmt.Errorf("rediscli: %d masters with %d replicas each: want at least one master", opt.Masters, opt.Replicas)
	}
	n := opt.Masters * (opt.Replicas + 1)
	if n > cluster.MaxProcesses {
		return nil, nil, fmt.Errorf("rediscli: %d processes do not fit in the ports from 6381 to 55535", n)
	}
	if err := opt.Validate(); err != nil {
		return nil, nil, err
	}
	s, err := sim.New(sim.Config{Seed: opt.Seed, Link: opt.Link, Hangups: true, Retransmit: true, KeepTrace: opt.Trace, Cores: opt.Host.SimCores()})
	if err != nil {
		return nil, nil, err
	}
	c := cluster.NewCluster(s)
	c.Slowdown = opt.Slowdown
	c.Host = opt.Host
	c.UnixPhase = opt.UnixPhase
	c.Placement = opt.Placement
	var procs []*cluster.Process
	var addrs []string
	starts := cluster.NewLiveStartup(s.Stream("live starts"))
	for i := range n {
		p, err := c.Start(fmt.Sprintf("redis-node-%d", i+1), "127.0.0.1", 6381+i, opt.Config)
		if err != nil {
			return nil, nil, err
		}
		if opt.LiveStarts {
			s.RunFor(starts.Next())
		}
		procs = append(procs, p)
		addrs = append(addrs, p.Addr())
	}
	var printed strings.Builder
	out := io.Writer(&printed)
	if opt.Out != nil {
		out = io.MultiWriter(opt.Out, &printed)
	}
	cli := New(c, out)
	st := s.Stream("redis-cli")
	cli.Rand = st.Rand()
	if err := cli.Create(addrs, CreateOptions{Replicas: opt.Replicas, Yes: true}); err != nil {
		if errors.Is(err, ErrCLI) {
			return nil, nil, fmt.Errorf("%w:\n%s", err, Reason(printed.String()))
		}
		return nil, nil, err
	}
	return c, procs, nil
}

// Reason is what redis-cli printed of why it stopped: its error lines ("***" and "[ERR]"),
// or its last line when it printed none.
func Reason(printed string) string {
	var why []string
	lines := strings.Split(strings.TrimRight(printed, "\n"), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "***") || strings.HasPrefix(l, "[ERR]") || strings.HasPrefix(l, "Could not connect") {
			why = append(why, l)
		}
	}
	if len(why) == 0 {
		return lines[len(lines)-1]
	}
	return strings.Join(why, "\n")
}
