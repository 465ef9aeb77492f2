// Command record-ping-cohort records when each master of a real cluster first pings a
// master that was just SIGKILLed. It was written for issue 18, to find why the first FAIL
// at a 15 s node timeout sometimes comes a few seconds after the first PFAIL instead of
// the usual 5 to 8: a master flags the victim PFAIL a node timeout after its first
// unanswered ping, and FAIL needs a quorum of masters to have done so, so the spread of
// those first pings decides when FAIL comes.
//
// Each trial starts M masters with a replica each on loopback (Redis from the PATH), lets
// the cluster run 15 s and a random part of a second after every replica has synchronised
// (as record-failover-size does), SIGKILLs the first master, and a second before the node
// timeout has passed since the kill reads CLUSTER NODES once on every surviving master:
// the victim's ping_sent there is when that master sent the ping still unanswered (0: it
// has sent none since its last pong), and pong_recv when it last heard of a pong from the
// victim (its own, or one gossip told it of, in whole seconds). Then it waits for a
// master to mark the victim FAIL, and reads when the first did from the servers' logs.
// Each trial prints
//
//	masters=M node_timeout_ms=T trial=K ping_ms=p1,p2,… pong_ms=q1,q2,… fail_ms=F cpu_busy= load1=
//
// with the surviving masters in port order: p is ping_sent minus the kill's time in
// milliseconds ("none" for 0), q is pong_recv minus the kill's time (negative: before
// it), F the first FAIL's time from the kill; cpu_busy is over the kill's first node
// timeout. Run from the repository root with the machine otherwise idle:
//
//	go run ./experiments/recordings/record-ping-cohort -masters 30 -runs 10 > experiments/recordings/probes/ping-cohort.txt
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/sim/live"
)

func main() {
	runs := flag.Int("runs", 10, "trials per size")
	mastersText := flag.String("masters", "30", "cluster sizes in masters, each with one replica, comma-separated")
	timeout := flag.Duration("node-timeout", 15*time.Second, "cluster-node-timeout (at least 2s: the read comes a second before it)")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: record-ping-cohort [-runs N] [-masters 30,60] [-node-timeout 15s]")
		flag.PrintDefaults()
	}
	flag.Parse()
	masters, err := experiments.ParseMasters(*mastersText)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "record-ping-cohort: %v\n", err)
		os.Exit(2)
	case flag.NArg() > 0 || *runs < 1 || *timeout < 2*time.Second:
		flag.Usage()
		os.Exit(2)
	}
	if err := record(masters, *runs, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "record-ping-cohort:", err)
		os.Exit(1)
	}
}

func record(masters []int, runs int, timeout time.Duration) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	live.RecordHeader(os.Stdout, fmt.Sprintf("record-ping-cohort -runs %d -masters %s -node-timeout %v", runs,
		experiments.FormatInts(masters), timeout))
	return live.RecordTrials(os.Stdout, masters, runs, func(ports []int, m, trial int) (string, error) {
		line, err := once(ports, m, timeout)
		return fmt.Sprintf("masters=%d node_timeout_ms=%d trial=%d %s load1=%s", m, timeout.Milliseconds(), trial, line, live.Load1()), err
	})
}

// once runs one trial and returns its ping_ms=, pong_ms= and cpu_busy= words.
func once(ports []int, masters int, timeout time.Duration) (string, error) {
	dir, err := os.MkdirTemp("", "kvplace-ping-cohort-")
	if err != nil {
		return "", err
	}
	forget := live.RemoveOnInterrupt(dir)
	defer func() { os.RemoveAll(dir); forget() }()
	c, err := live.StartCluster(live.ClusterSpec{Dir: dir, Ports: ports, Masters: masters, Replicas: 1,
		Args: []string{"--cluster-node-timeout", strconv.FormatInt(timeout.Milliseconds(), 10)}})
	if err != nil {
		return "", fmt.Errorf("%w: %w", live.ErrSetup, err)
	}
	defer c.Close()
	time.Sleep(15*time.Second + time.Duration(rand.Int64N(int64(time.Second))))
	victim := c.Servers[0]
	id, err := live.String(victim.Do("CLUSTER", "MYID"))
	if err != nil {
		return "", err
	}
	before, err := live.ReadCPU()
	if err != nil {
		return "", err
	}
	at := time.Now()
	if err := victim.Kill(); err != nil {
		return "", err
	}
	time.Sleep(time.Until(at.Add(timeout - time.Second)))
	var pings, pongs []string
	for _, s := range c.Servers[1:masters] {
		text, err := live.String(s.Do("CLUSTER", "NODES"))
		if err != nil {
			return "", err
		}
		ping, pong, err := live.PingPong(text, id)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.Addr(), err)
		}
		if ping == 0 {
			pings = append(pings, "none")
		} else {
			pings = append(pings, strconv.FormatInt(ping-at.UnixMilli(), 10))
		}
		pongs = append(pongs, strconv.FormatInt(pong-at.UnixMilli(), 10))
	}
	after, err := live.ReadCPU()
	if err != nil {
		return "", err
	}
	// Then the first FAIL, from the logs once a master lists the victim as fail.
	for deadline := at.Add(3 * timeout); ; time.Sleep(200 * time.Millisecond) {
		text, err := live.String(c.Servers[1].Do("CLUSTER", "NODES"))
		if err != nil {
			return "", err
		}
		if flags, ok := live.FlagsOf(text, id); ok && flags["fail"] {
			break
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("no master marked %s FAIL within %v of its kill", id, 3*timeout)
		}
	}
	var fail time.Duration
	for _, s := range c.Servers[1:] {
		lines, err := live.ReadLog(filepath.Join(s.Dir, "redis.log"))
		if err != nil {
			return "", err
		}
		for _, l := range lines {
			if d := l.At.Sub(at); d >= 0 && live.MarksFail(l.Text, id) && (fail == 0 || d < fail) {
				fail = d
			}
		}
	}
	return fmt.Sprintf("ping_ms=%s pong_ms=%s fail_ms=%d cpu_busy=%.2f", strings.Join(pings, ","), strings.Join(pongs, ","),
		fail.Milliseconds(), after.BusySince(before)), nil
}
