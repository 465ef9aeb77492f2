package cluster_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/rediscli"
)

var update = flag.Bool("update", false, "rewrite the expected output of testdata/transcripts")

// TestTranscripts replays the protocol scenarios in testdata/transcripts, datadriven style:
// each command is followed by "----" and what every node logged while it ran (time, port,
// line), which must match the file. Run with -update after a deliberate change and read the
// diff. Commands: build seed=N masters=N replicas=N timeout=DUR; run DUR; kill|stop|restart
// |pause|resume PORT; partition PORT,PORT | PORT,... (clients still reach every node); heal;
// do PORT ARGS... (a command, its reply is printed too); nodes PORT.
//
// failover.txt: a crash, PFAIL, FAIL, the election, the rejoin and a manual failover back.
// partition.txt: a master cut off from the rest goes to cluster_state:fail by itself after
// a node timeout while the majority promotes its replica; healed, it rejoins as a replica.
// manual-failover.txt: CLUSTER FAILOVER to a replica whose master is stalled times out,
// FORCE elects it without the master, the master's queued requests reach it on resume
// (it even grants the vote), and TAKEOVER promotes another replica with no election.
func TestTranscripts(t *testing.T) {
	files, err := filepath.Glob("testdata/transcripts/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			got := replayTranscript(t, string(data))
			if *update {
				require.NoError(t, os.WriteFile(f, []byte(got), 0o644))
				return
			}
			assert.Equal(t, string(data), got, "rerun with -update if the change is deliberate")
		})
	}
}

// replayTranscript runs every command of text and returns text with each command's
// expected output replaced by what it printed.
func replayTranscript(t *testing.T, text string) string {
	var out strings.Builder
	var c *cluster.Cluster
	var err error
	seen := map[*cluster.Process]int{} // events already printed, per process incarnation
	var start sim.Time
	blocks := strings.Split(strings.TrimSpace(text), "\n\n")
	for _, block := range blocks {
		cmd, _, _ := strings.Cut(block, "\n----")
		cmd = strings.TrimSpace(cmd)
		f := strings.Fields(cmd)
		require.NotEmpty(t, f, "empty command in %q", block)
		var result strings.Builder
		proc := func(port string) *cluster.Process {
			p, ok := c.Process("127.0.0.1:" + port)
			require.True(t, ok, "no process on port %s", port)
			return p
		}
		switch f[0] {
		case "build":
			opt := cluster.Options{Link: cluster.Loopback(), Config: cluster.DefaultConfig(), Masters: 3}
			opt.Config.AppendOnly = true
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "seed":
					opt.Seed, err = strconv.ParseUint(v, 10, 64)
				case "masters":
					opt.Masters, err = strconv.Atoi(v)
				case "replicas":
					opt.Replicas, err = strconv.Atoi(v)
				case "timeout":
					opt.Config.NodeTimeout, err = time.ParseDuration(v)
				default:
					err = fmt.Errorf("unknown build option %q", kv)
				}
				require.NoError(t, err)
			}
			c, _, err = rediscli.Build(opt)
			require.NoError(t, err)
		case "run":
			var d time.Duration
			d, err = time.ParseDuration(f[1])
			require.NoError(t, err)
			c.Sim.RunFor(d)
		case "kill":
			c.Kill(proc(f[1]))
		case "stop":
			c.Stop(proc(f[1]))
		case "restart":
			p := proc(f[1])
			require.NoError(t, c.Restart(p))
			seen[p] = 0
		case "pause":
			c.Pause(proc(f[1]))
		case "resume":
			c.Resume(proc(f[1]))
		case "partition": // partition 6381 | 6382,6383,...: each side a comma-separated list of ports
			var groups [][]int
			for _, side := range strings.Split(strings.Join(f[1:], " "), "|") {
				var g []int
				for _, port := range strings.Split(strings.TrimSpace(side), ",") {
					g = append(g, proc(strings.TrimSpace(port)).Index)
				}
				groups = append(groups, g)
			}
			require.GreaterOrEqual(t, len(groups), 2, "partition needs two sides or more: %q", cmd)
			c.Sim.Partition(groups...)
		case "heal":
			c.Sim.Heal()
		case "do":
			r, err := c.Client().Do(proc(f[1]).Addr(), f[2:]...)
			require.NoError(t, err)
			fmt.Fprintf(&result, "reply: %s\n", r.String())
		case "nodes":
			r, err := c.Client().Do(proc(f[1]).Addr(), "CLUSTER", "NODES")
			require.NoError(t, err)
			result.WriteString(strings.ReplaceAll(r.Str, "\r\n", "\n"))
		default:
			t.Fatalf("unknown command %q", cmd)
		}
		type line struct {
			at   sim.Time
			port int
			text string
		}
		var lines []line
		for _, p := range c.Processes() {
			if !p.Up() {
				continue
			}
			evs := p.Node().Events
			for _, e := range evs[seen[p]:] {
				lines = append(lines, line{e.At, p.Port, e.Text})
			}
			seen[p] = len(evs)
		}
		sort.SliceStable(lines, func(i, j int) bool {
			if lines[i].at != lines[j].at {
				return lines[i].at < lines[j].at
			}
			return lines[i].port < lines[j].port
		})
		var events strings.Builder
		for _, l := range lines {
			fmt.Fprintf(&events, "%9.3fs %d %s\n", float64(l.at.Sub(start).Milliseconds())/1000, l.port, l.text)
		}
		fmt.Fprintf(&out, "%s\n----\n%s%s\n", cmd, events.String(), result.String())
	}
	return strings.TrimRight(out.String(), "\n") + "\n"
}
