// Command scale measures how the simulator itself scales: wall time, events per second,
// memory and virtual seconds per wall second for simulated Redis Clusters of 6, 100 and
// 1000 nodes running gossip at Redis's default node timeout, with one master killed so
// that failure detection and an election run at each size.
//
//	go run ./experiments/scale                           # 6, 100 and 1000 nodes
//	go run ./experiments/scale -sizes 6,100 -span 60s
//	go run ./experiments/scale -cpuprofile cpu.prof      # profile the largest size's span
//	go tool pprof -top cpu.prof
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/plots"
)

func main() {
	os.Exit(command.Exit("scale", run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := experiments.DefaultScaleConfig()
	fs := flag.NewFlagSet("scale", flag.ContinueOnError)
	command.Setup(fs, stderr, "scale [flags]", `Measures the simulator itself on clusters of growing size: wall time, events per
second, memory and virtual seconds per wall second.`)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed; the same seed gives the same events and failover times")
	sizes := fs.String("sizes", "6,100,1000", "cluster sizes in processes, half masters with one replica each")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "virtual time run before the measurement, while links come up")
	fs.DurationVar(&cfg.Span, "span", cfg.Span, "virtual time measured")
	fs.DurationVar(&cfg.KillAfter, "kill-after", cfg.KillAfter, "when in the span the first master is killed")
	fs.DurationVar(&cfg.NodeTimeout, "node-timeout", cfg.NodeTimeout, "cluster-node-timeout")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the largest size's span to this file")
	asJSON := fs.Bool("json", false, "print the rows as JSON")
	asCSV := fs.Bool("csv", false, "print one CSV row per cluster size")
	out := fs.String("out", "out/scale", "folder for the PNG and SVG figure (empty: no figure; with -json or -csv, none unless given)")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := command.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return command.Usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	if *asJSON && *asCSV {
		return command.Usagef(fs, "-csv and -json exclude each other")
	}
	// Output for programs (JSON, CSV) comes without figures unless -out asks for them.
	if (*asJSON || *asCSV) && !command.Given(fs, "out") {
		*out = ""
	}
	var err error
	if cfg.Sizes, err = experiments.ParseInts("sizes", *sizes); err != nil {
		return err
	}
	var profErr error
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.Profile = func(start bool) {
			if start {
				profErr = pprof.StartCPUProfile(f)
			} else {
				pprof.StopCPUProfile()
			}
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if !*quiet {
		cfg.Progress = command.Progress(stderr)
		fmt.Fprintf(stderr, "scale: seed %d, sizes %v\n", cfg.Seed, cfg.Sizes)
	}
	res, err := experiments.RunScale(cfg)
	if err != nil {
		return err
	}
	if profErr != nil {
		return fmt.Errorf("-cpuprofile: %w", profErr)
	}
	switch {
	case *asCSV:
		err = experiments.WriteScaleCSV(stdout, res)
	case *asJSON:
		err = command.JSON(stdout, res)
	default:
		err = experiments.WriteScaleTable(stdout, res)
	}
	if err != nil {
		return err
	}
	return command.Figures(*out, func(dir string) ([]string, error) { return plots.ScaleFigures(res, dir) }, *asJSON || *asCSV, stdout, stderr)
}
