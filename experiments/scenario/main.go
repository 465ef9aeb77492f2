// Command scenario runs a runbook written in redis-cli's own words, in simulation (default)
// or against real redis-server processes on loopback (-live), and prints what each command
// prints. With no runbook it replays the seed tutorial's (testdata/seed.txt).
//
//	go run ./experiments/scenario
//	go run ./experiments/scenario experiments/scenario/testdata/seed.txt
//	go run ./experiments/scenario -seed 7 -time runbook.txt
//	go run ./experiments/scenario -live runbook.txt
//	cat runbook.txt | go run ./experiments/scenario -
package main

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kvplace/kvplace/sim/scenario"
)

// seedRunbook is the seed tutorial as a runbook, replayed when no runbook is given.
//
//go:embed testdata/seed.txt
var seedRunbook string

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "scenario:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scenario", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "root seed of the simulation: node IDs, timings and random choices")
	showTime := fs.Bool("time", false, "prefix each command with the time since the start (virtual, or real with -live)")
	liveMode := fs.Bool("live", false, "run against real redis-server processes on loopback instead of simulating")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fmt.Errorf("usage: scenario [-seed N] [-time] [-live] [FILE] (- for stdin; none: the seed tutorial)")
	}
	var in io.Reader = stdin
	if fs.NArg() == 0 {
		fmt.Fprintf(stderr, "scenario: no runbook given, replaying the seed tutorial (experiments/scenario/testdata/seed.txt), seed %d\n", *seed)
		in = strings.NewReader(seedRunbook)
	} else if name := fs.Arg(0); name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	rb, err := scenario.Parse(in)
	if err != nil {
		return err
	}
	opt := scenario.Options{Seed: *seed, Time: *showTime}
	if *liveMode {
		return scenario.RunLive(rb, stdout, opt)
	}
	return scenario.RunSim(rb, stdout, opt)
}
