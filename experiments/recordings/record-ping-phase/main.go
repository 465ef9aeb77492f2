// Command record-ping-phase records, on a real cluster, when the masters ping one master
// and whether a ping to it is unanswered when it is killed: the facts behind the first
// PFAIL, which comes a node timeout after the victim's last data reached a master that
// has a ping to it outstanding. It was written to find why the real first PFAIL at 60
// masters always comes within 200 ms of the node timeout while the simulated one comes
// anywhere in the second after it (issue 18).
//
// Each trial starts M masters with a replica each on loopback (Redis from the PATH, node
// timeout 2 s), lets the cluster run 15 s and a random part of a second, then reads every
// other master's CLUSTER NODES line for the first master, one master after another, for
// -watch; SIGKILLs the first master and goes on reading for 2.5 s. Each trial prints one
// line:
//
//	masters=M trial=K kill_phase_ms= pong_phase_p10= pong_phase_p50= pong_phase_p90= pong_phase_p99= pending_at_kill= first_pings_ms=a,b,c,d round_ms= load1=
//
// kill_phase_ms is the kill's millisecond within its wall-clock second. pong_phase_pNN
// are quantiles, over every read before the kill, of the pong-recv column's millisecond
// within its second: gossip carries pong times in whole seconds (clusterSetGossipEntry),
// so the masters' pings to a node keep step with second boundaries, and these say how
// wide that step is. pending_at_kill counts the masters whose ping-sent column was set
// (a ping not yet answered) when first read after the kill with a time before the kill;
// first_pings_ms are the four earliest ping-sent times, relative to the kill, that any
// master showed after it (negative: sent before the kill and never answered). round_ms is
// the longest time between two reads of one master. load1 is the 1-minute load average at
// the end. Run from the repository root with the machine otherwise idle:
//
//	go run ./experiments/recordings/record-ping-phase -masters 30,60 -runs 10 > experiments/recordings/probes/ping-phase.txt
package main

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/sim/live"
)

func main() {
	runs := flag.Int("runs", 10, "trials per size")
	mastersText := flag.String("masters", "60", "cluster sizes in masters, each with one replica, comma-separated")
	watch := flag.Duration("watch", 4*time.Second, "how long to read the masters' views before the kill")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: record-ping-phase [-runs N] [-masters 30,60] [-watch 4s]")
		flag.PrintDefaults()
	}
	flag.Parse()
	masters, err := experiments.ParseMasters(*mastersText)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "record-ping-phase: %v\n", err)
		os.Exit(2)
	case flag.NArg() > 0 || *runs < 1 || *watch < 100*time.Millisecond:
		flag.Usage()
		os.Exit(2)
	}
	if err := record(masters, *runs, *watch); err != nil {
		fmt.Fprintln(os.Stderr, "record-ping-phase:", err)
		os.Exit(1)
	}
}

func record(masters []int, runs int, watch time.Duration) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	live.RecordHeader(os.Stdout, fmt.Sprintf("record-ping-phase -runs %d -masters %s -watch %v", runs, experiments.FormatInts(masters), watch))
	return live.RecordTrials(os.Stdout, masters, runs, func(ports []int, m, trial int) (string, error) {
		line, err := once(ports, m, watch)
		return fmt.Sprintf("masters=%d trial=%d %s load1=%s", m, trial, line, live.Load1()), err
	})
}

// A read is one master's view of the victim: when it was read, and its ping-sent and
// pong-recv columns (Unix ms).
type read struct {
	at, pingSent, pongRecv int64
	master                 int
}

func once(ports []int, masters int, watch time.Duration) (string, error) {
	dir, err := os.MkdirTemp("", "kvplace-ping-phase-")
	if err != nil {
		return "", err
	}
	forget := live.RemoveOnInterrupt(dir)
	defer func() { os.RemoveAll(dir); forget() }()
	c, err := live.StartCluster(live.ClusterSpec{Dir: dir, Ports: ports, Masters: masters, Replicas: 1,
		Args: []string{"--cluster-node-timeout", "2000"}})
	if err != nil {
		return "", fmt.Errorf("%w: %w", live.ErrSetup, err)
	}
	defer c.Close()
	time.Sleep(15*time.Second + time.Duration(rand.Int64N(int64(time.Second))))
	id, err := live.String(c.Servers[0].Do("CLUSTER", "MYID"))
	if err != nil {
		return "", err
	}
	var conns []*live.Conn
	for _, s := range c.Servers[1:masters] {
		conn, err := live.Dial(s.Addr(), 2*time.Second)
		if err != nil {
			return "", err
		}
		defer conn.Close()
		conns = append(conns, conn)
	}
	var reads []read
	var kill int64
	end := time.Now().Add(watch)
	last := make([]int64, len(conns))
	var round int64
	for i := 0; time.Now().Before(end.Add(2500 * time.Millisecond)); i++ {
		if kill == 0 && time.Now().After(end) {
			// The kill's time is the signal's: Kill returns once the process is reaped,
			// 10 to 40 ms later at 60 masters here.
			kill = time.Now().UnixMilli()
			if err := c.Servers[0].Kill(); err != nil {
				return "", err
			}
		}
		j := i % len(conns)
		text, err := live.String(conns[j].Do("CLUSTER", "NODES"))
		if err != nil {
			return "", err
		}
		at := time.Now().UnixMilli()
		if last[j] != 0 {
			round = max(round, at-last[j])
		}
		last[j] = at
		r, err := viewOf(text, id)
		if err != nil {
			return "", fmt.Errorf("%s: %w", c.Servers[1+j].Addr(), err)
		}
		r.at, r.master = at, j
		reads = append(reads, r)
	}
	return summary(reads, kill) + fmt.Sprintf(" round_ms=%d", round), nil
}

// viewOf reads ping-sent and pong-recv from id's line of a CLUSTER NODES text.
func viewOf(text, id string) (read, error) {
	for line := range strings.Lines(text) {
		if !strings.HasPrefix(line, id+" ") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 8 {
			return read{}, fmt.Errorf("CLUSTER NODES line %q: want 8 fields or more", line)
		}
		ping, err1 := strconv.ParseInt(f[4], 10, 64)
		pong, err2 := strconv.ParseInt(f[5], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return read{}, fmt.Errorf("CLUSTER NODES line %q: %w", line, err)
		}
		return read{pingSent: ping, pongRecv: pong}, nil
	}
	return read{}, fmt.Errorf("CLUSTER NODES has no line for %s", id)
}

// summary condenses one trial's reads, kill being the kill's Unix ms.
func summary(reads []read, kill int64) string {
	var phases []int64
	pending := map[int]bool{}
	seen := map[int]bool{}
	var firsts []int64
	for _, r := range reads {
		if r.at < kill {
			phases = append(phases, r.pongRecv%1000)
			continue
		}
		if r.pingSent == 0 || seen[r.master] {
			continue
		}
		seen[r.master] = true
		firsts = append(firsts, r.pingSent-kill)
		if r.pingSent < kill {
			pending[r.master] = true
		}
	}
	slices.Sort(phases)
	slices.Sort(firsts)
	q := func(p float64) int64 {
		if len(phases) == 0 {
			return -1
		}
		return phases[int(p*float64(len(phases)-1))]
	}
	var fs []string
	for _, f := range firsts[:min(4, len(firsts))] {
		fs = append(fs, strconv.FormatInt(f, 10))
	}
	return fmt.Sprintf("kill_phase_ms=%d pong_phase_p10=%d pong_phase_p50=%d pong_phase_p90=%d pong_phase_p99=%d pending_at_kill=%d first_pings_ms=%s",
		kill%1000, q(0.1), q(0.5), q(0.9), q(0.99), len(pending), strings.Join(fs, ","))
}
