// Command record-host-burst records how a host's CPU use is spread over each wall-clock
// second while a real cluster runs idle: no fault, no client. It was written for issue 18
// to test cluster.HostLoad's premise, that the servers keep the host evenly busy. Gossip
// carries pong times in whole seconds, so every node pings most others just after each
// second, and the host may instead be saturated then and idle after.
//
// Each trial starts M masters with a replica each on loopback (Redis from the PATH, node
// timeout 2 s), lets the cluster run 20 s, then reads /proc/stat every 5 ms for 10 s and
// adds each interval's busy and total CPU time to the 50 ms bin of the wall-clock second
// it ended in. Each trial prints one line:
//
//	masters=M trial=K bin_ms=50 busy=b0,b1,…,b19 cpu_busy= load1=
//
// busy are the bins' shares of CPU time in use (all cores), from the second's first 50 ms
// to its last; cpu_busy the share over the whole 10 s; load1 the 1-minute load average at
// the end. Run from the repository root with the machine otherwise idle:
//
//	go run ./experiments/recordings/record-host-burst -masters 30,60 -runs 10 > experiments/recordings/probes/host-burst.txt
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/sim/live"
)

const (
	bins    = 20
	binMs   = 1000 / bins
	settle  = 20 * time.Second
	measure = 10 * time.Second
)

func main() {
	runs := flag.Int("runs", 10, "trials per size")
	mastersText := flag.String("masters", "30,60", "cluster sizes in masters, each with one replica, comma-separated")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: record-host-burst [-runs N] [-masters 30,60]")
		flag.PrintDefaults()
	}
	flag.Parse()
	masters, err := experiments.ParseMasters(*mastersText)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "record-host-burst: %v\n", err)
		os.Exit(2)
	case flag.NArg() > 0 || *runs < 1:
		flag.Usage()
		os.Exit(2)
	}
	if err := record(masters, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "record-host-burst:", err)
		os.Exit(1)
	}
}

func record(masters []int, runs int) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	live.RecordHeader(os.Stdout, fmt.Sprintf("record-host-burst -runs %d -masters %s", runs, experiments.FormatInts(masters)))
	return live.RecordTrials(os.Stdout, masters, runs, func(ports []int, m, trial int) (string, error) {
		line, err := once(ports, m)
		return fmt.Sprintf("masters=%d trial=%d bin_ms=%d %s load1=%s", m, trial, binMs, line, live.Load1()), err
	})
}

// once runs one trial and returns its busy= and cpu_busy= words.
func once(ports []int, masters int) (string, error) {
	dir, err := os.MkdirTemp("", "kvplace-host-burst-")
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
	time.Sleep(settle)
	var busy, total [bins]uint64
	first, err := live.ReadCPU()
	if err != nil {
		return "", err
	}
	prev := first
	for end := time.Now().Add(measure); time.Now().Before(end); {
		time.Sleep(5 * time.Millisecond)
		at := time.Now()
		now, err := live.ReadCPU()
		if err != nil {
			return "", err
		}
		k := at.UnixMilli() % 1000 / binMs
		busy[k] += (now.Total - now.Idle) - (prev.Total - prev.Idle)
		total[k] += now.Total - prev.Total
		prev = now
	}
	var shares []string
	for k := range bins {
		if total[k] == 0 {
			return "", fmt.Errorf("no CPU time counted in bin %d: /proc/stat did not advance", k)
		}
		shares = append(shares, strconv.FormatFloat(float64(busy[k])/float64(total[k]), 'f', 2, 64))
	}
	return fmt.Sprintf("busy=%s cpu_busy=%.2f", strings.Join(shares, ","), prev.BusySince(first)), nil
}
