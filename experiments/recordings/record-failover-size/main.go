// Command record-failover-size records real failovers on clusters of many nodes, for
// issue 18's question: does failure detection at 30, 60 or 100 masters go as the
// simulation says? experiments' TestSizedFailoverMatchesRealRedis holds the simulation
// to what it prints.
//
// Each trial starts M masters with a replica each on loopback (Redis from the PATH),
// lets the cluster run 15 s and a random part of a second after the replicas synced,
// SIGKILLs the first master (or two masters, or the master and its replica: -faults) and
// measures, from the kill, the first PFAIL flag on a
// surviving master (polled), the first FAIL, the replica's election and the last node's
// return to cluster_state:ok (from the servers' logs); see live.MeasureSizedFailover.
// Each trial prints one line:
//
//	masters=M node_timeout_ms=T fault=F trial=K pfail_ms= fail_ms= promoted_ms= ok_ms= poll_ms= close_ms= cpu_busy= load1= [extra_load=] [first_ping_ms= pinged=]
//
// poll_ms is how late PFAIL can be (the longest time between two polls of one master);
// close_ms when the first victim's sockets closed, seen as the end of a connection the
// recorder held open to it (recordings made before 2026-12-06's night have none);
// cpu_busy the share of the host's CPU in use from the kill to the end; load1 the 1-minute
// load average at the end; extra_load, with -extra-load, the share of the host stress-ng
// was told to keep busy beside the servers; first_ping_ms and pinged, with -read-pings,
// when the first surviving master pinged the victim and how many had by then (see
// live.SizedFailover.FirstPing). Run from the repository root with the machine
// otherwise idle:
//
//	go run ./experiments/recordings/record-failover-size -masters 30,60 -node-timeouts 2000 -runs 10 >> experiments/recordings/failover-size.txt

// and, on a host kept half busy besides (stress-ng from the PATH):
//
//	go run ./experiments/recordings/record-failover-size -masters 30 -extra-load 0.5 > experiments/recordings/failover-size-loaded.txt
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/sim/live"
)

func main() {
	runs := flag.Int("runs", 10, "trials per cell")
	mastersText := flag.String("masters", "30", "cluster sizes in masters, each with one replica, comma-separated")
	timeoutsText := flag.String("node-timeouts", "2000", "cluster-node-timeout values in milliseconds, comma-separated")
	faultsText := flag.String("faults", "kill", "kill (the first master), kill2 (the first two masters at once) or kill-pair (the first master and its replica), comma-separated")
	keep := flag.String("keep-logs", "", "copy each trial's server logs to `DIR`/<cell and trial>/, to read why a trial went as it did")
	pings := flag.Bool("read-pings", false, "also read, before any PFAIL, when the first surviving master pinged the victim (first_ping_ms=, pinged=)")
	extra := flag.Float64("extra-load", 0, "keep this share of the host's CPU busy beside the servers with stress-ng (0.5: half of every core), for a recording on a loaded host")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: record-failover-size [-runs N] [-masters 30,60] [-node-timeouts 2000,15000] [-faults kill,kill2,kill-pair] [-extra-load 0.5] [-read-pings] [-keep-logs DIR]")
		flag.PrintDefaults()
	}
	flag.Parse()
	masters, err1 := experiments.ParseMasters(*mastersText)
	timeouts, err2 := ints("node-timeouts", *timeoutsText, 100, 3600000)
	switch {
	case err1 != nil:
		fmt.Fprintf(os.Stderr, "record-failover-size: %v\n", err1)
		os.Exit(2)
	case err2 != nil:
		fmt.Fprintf(os.Stderr, "record-failover-size: %v\n", err2)
		os.Exit(2)
	case badFault(*faultsText) != "":
		fmt.Fprintf(os.Stderr, "record-failover-size: -faults: %q is not kill, kill2 or kill-pair\n", badFault(*faultsText))
		os.Exit(2)
	case flag.NArg() > 0 || *runs < 1 || !(*extra >= 0 && *extra <= 1):
		flag.Usage()
		os.Exit(2)
	}
	if err := record(masters, timeouts, strings.Split(*faultsText, ","), *runs, *extra, *pings, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "record-failover-size:", err)
		os.Exit(1)
	}
}

func badFault(text string) string {
	for _, f := range strings.Split(text, ",") {
		if f != "kill" && f != "kill2" && f != "kill-pair" {
			return f
		}
	}
	return ""
}

func record(masters, timeouts []int, faults []string, runs int, extra float64, pings bool, keep string) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	extraFlag, extraWord := "", ""
	if extra > 0 {
		stopLoad, err := live.BusyHost(extra)
		if err != nil {
			return err
		}
		defer stopLoad()
		extraFlag, extraWord = fmt.Sprintf(" -extra-load %.2f", extra), fmt.Sprintf(" extra_load=%.2f", extra)
	}
	if pings {
		extraFlag += " -read-pings"
	}
	live.RecordHeader(os.Stdout, fmt.Sprintf("record-failover-size -runs %d -masters %s -node-timeouts %s -faults %s%s",
		runs, experiments.FormatInts(masters), experiments.FormatInts(timeouts), strings.Join(faults, ","), extraFlag))
	for _, m := range masters {
		for _, fault := range faults {
			for _, ms := range timeouts {
				err := live.RecordTrials(os.Stdout, []int{m}, runs, func(ports []int, m, trial int) (string, error) {
					label := fmt.Sprintf("masters%d-%s-%dms-trial%d", m, fault, ms, trial)
					r, err := once(ports, m, time.Duration(ms)*time.Millisecond, fault, pings, keep, label)
					pingWords := ""
					switch {
					case pings && r.Pinged > 0:
						pingWords = fmt.Sprintf(" first_ping_ms=%d pinged=%d", r.FirstPing.Milliseconds(), r.Pinged)
					case pings: // no master had pinged the victim yet: no first ping to give
						pingWords = " pinged=0"
					}
					return fmt.Sprintf("masters=%d node_timeout_ms=%d fault=%s trial=%d pfail_ms=%d fail_ms=%d promoted_ms=%d ok_ms=%d poll_ms=%d close_ms=%.1f cpu_busy=%.2f load1=%s%s",
						m, ms, fault, trial, r.PFail.Milliseconds(), r.Fail.Milliseconds(), r.Promoted.Milliseconds(), r.OK.Milliseconds(),
						r.PollEvery.Milliseconds(), float64(r.Closed)/float64(time.Millisecond), r.CPUBusy, live.Load1(), extraWord+pingWords), err
				})
				if err != nil {
					return fmt.Errorf("%s, node timeout %d ms: %w", fault, ms, err)
				}
			}
		}
	}
	return nil
}

// once runs one trial in a temporary folder; with keep set, it first copies every
// server's log to keep/<label>/<port>.log.
func once(ports []int, masters int, nodeTimeout time.Duration, fault string, pings bool, keep, label string) (live.SizedFailover, error) {
	dir, err := os.MkdirTemp("", "kvplace-failover-size-")
	if err != nil {
		return live.SizedFailover{}, err
	}
	forget := live.RemoveOnInterrupt(dir)
	defer func() { os.RemoveAll(dir); forget() }()
	r, err := live.MeasureSizedFailover(dir, ports, masters, nodeTimeout, fault, pings)
	if keep != "" && err == nil {
		err = keepLogs(dir, filepath.Join(keep, label))
	}
	return r, err
}

// keepLogs copies the redis.log of every server folder in dir to to/<folder>.log.
func keepLogs(dir, to string) error {
	logs, err := filepath.Glob(filepath.Join(dir, "*", "redis.log"))
	if err != nil {
		return err
	}
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	for _, l := range logs {
		b, err := os.ReadFile(l)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, filepath.Base(filepath.Dir(l))+".log"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ints reads a flag's comma-separated whole numbers, each from lo to hi.
func ints(flag, text string, lo, hi int) ([]int, error) {
	xs, err := experiments.ParseInts(flag, text)
	if err != nil {
		return nil, err
	}
	for _, v := range xs {
		if v < lo || v > hi {
			return nil, fmt.Errorf("-%s %q: %d is not from %d to %d", flag, text, v, lo, hi)
		}
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("-%s %q: no values", flag, text)
	}
	return xs, nil
}
