// Command record-replica-switch records when a drained master's replica follows the new
// owner of its master's slots, on real redis-server processes on loopback: the recording
// sim/cluster's cluster bus model (Nagle's algorithm on outbound links) is held to.
//
// Each run replays experiments/scenario/testdata/drain-replica-switch.txt with -live: four
// masters with a replica each, 2000 keys, a weighted rebalance that empties 7904 into
// 7901, and `redis-cli --cluster check` the moment it returns and again a second later.
// 7904 turns replica of 7901 at redis-cli's last SETSLOT and logs "Configuration change
// detected"; so does its replica 7908 when it hears of that last slot. Each run prints
// one line:
//
//	run rebalance_ms switch_delay_ms check_now check_later load1
//
// rebalance_ms is the rebalance step's wall time, switch_delay_ms the time from 7904's log
// line to 7908's (the logs' millisecond clock), check_now and check_later "agree" or
// "disagree" for the two checks ("[OK] All nodes agree about slots configuration." or
// "[ERR] Nodes don't agree about configuration!"), load1 the host's 1-minute load
// average when the run ended. Run from the repository root, with the machine otherwise
// idle:
//
//	go run ./sim/cluster/calibration/record-replica-switch > sim/cluster/calibration/replica-switch.txt
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim/live"
	"github.com/kvplace/kvplace/sim/scenario"
)

const runbook = "experiments/scenario/testdata/drain-replica-switch.txt"

func main() {
	runs := flag.Int("runs", 12, "runs to record")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: record-replica-switch [-runs N]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := record(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "record-replica-switch:", err)
		os.Exit(1)
	}
}

func record(runs int) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	rb, err := scenario.ParseFile(runbook)
	if err != nil {
		return err
	}
	fmt.Printf("# %s, %s replayed live\n", live.Version(), runbook)
	fmt.Println("# run rebalance_ms switch_delay_ms check_now check_later load1")
	for run := 1; run <= runs; run++ {
		line, err := once(rb, run)
		if err != nil {
			return fmt.Errorf("run %d: %w", run, err)
		}
		fmt.Println(line)
	}
	return nil
}

var step = regexp.MustCompile(`^\[\s*([\d.]+)s\] \$ (.*)$`)

func once(rb *scenario.Runbook, run int) (string, error) {
	dir, err := os.MkdirTemp("", "kvplace-replica-switch-")
	if err != nil {
		return "", err
	}
	forget := live.RemoveOnInterrupt(dir)
	defer func() { os.RemoveAll(dir); forget() }()
	var out bytes.Buffer
	if err := scenario.RunLive(rb, &out, scenario.Options{Time: true, Brief: true, Dir: dir}); err != nil {
		return "", fmt.Errorf("%w\n%s", err, out.String())
	}
	var rebalance time.Duration
	var checks []string
	var started time.Duration
	var in string
	for _, l := range strings.Split(out.String(), "\n") {
		if m := step.FindStringSubmatch(l); m != nil {
			at, _ := time.ParseDuration(m[1] + "s")
			if in == "rebalance" {
				rebalance = at - started
			}
			in, started = "", at
			switch {
			case strings.HasPrefix(m[2], "redis-cli --cluster rebalance"):
				in = "rebalance"
			case strings.HasPrefix(m[2], "redis-cli --cluster check"):
				in = "check"
			}
			continue
		}
		if in == "check" {
			switch {
			case strings.Contains(l, "[OK] All nodes agree about slots configuration."):
				checks = append(checks, "agree")
			case strings.Contains(l, "[ERR] Nodes don't agree about configuration!"):
				checks = append(checks, "disagree")
			}
		}
	}
	if len(checks) != 2 || rebalance == 0 {
		return "", fmt.Errorf("the transcript has no timed rebalance or not two checks:\n%s", out.String())
	}
	master, err := switchedAt(filepath.Join(dir, "n4", "redis.log"))
	if err != nil {
		return "", err
	}
	replica, err := switchedAt(filepath.Join(dir, "n8", "redis.log"))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d %d %d %s %s %s", run, rebalance.Milliseconds(), replica.Sub(master).Milliseconds(),
		checks[0], checks[1], live.Load1()), nil
}

// switchedAt returns when the log at path says the node reconfigured itself as a replica
// of a new master, the last time it did.
func switchedAt(path string) (time.Time, error) {
	lines, err := live.ReadLog(path)
	if err != nil {
		return time.Time{}, err
	}
	var at time.Time
	for _, l := range lines {
		if strings.HasPrefix(l.Text, "Configuration change detected. Reconfiguring myself as a replica of") {
			at = l.At
		}
	}
	if at.IsZero() {
		return time.Time{}, errors.New(path + ": no \"Configuration change detected\" line")
	}
	return at, nil
}
