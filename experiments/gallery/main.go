// Command gallery regenerates the figures the README shows, from the default run of every
// experiment (and the failover experiment with -fault isolate, and its sweep over cluster
// sizes), into plots/gallery. It takes about three minutes on 2 cores (3 min 12 s measured
// on 2026-12-06), most of it simulating 1000 nodes. Run it from the repository root:
//
//	go run ./experiments/gallery
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/plots"
)

func main() {
	fs := flag.NewFlagSet("gallery", flag.ContinueOnError)
	command.Setup(fs, os.Stderr, "gallery [flags]", "Regenerates the README's figures from the default run of every experiment.")
	dir := fs.String("dir", "plots/gallery", "folder to write the figures to")
	err := command.Parse(fs, os.Args[1:])
	if err == nil && fs.NArg() > 0 {
		err = command.Usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	if err == nil {
		err = run(*dir)
	}
	os.Exit(command.Exit("gallery", err, os.Stderr))
}

func run(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%w (run from the repository root, or pass -dir)", err)
	}
	cfg := experiments.DefaultSkewConfig()
	cfg.Progress = command.Progress(os.Stderr)
	res, err := experiments.RunSkew(cfg)
	if err != nil {
		return err
	}
	paths, err := plots.SkewFigures(res, dir)
	if err != nil {
		return err
	}
	// The failover experiment's default run, and the same with the master isolated
	// instead of killed: the case that loses acknowledged writes.
	for _, fault := range []string{"kill", "isolate"} {
		fcfg := experiments.DefaultFailoverConfig()
		fcfg.Fault = fault
		fcfg.Progress = command.Progress(os.Stderr)
		fres, err := experiments.RunFailover(fcfg)
		if err != nil {
			return err
		}
		more, err := plots.FailoverFigures(fres, dir)
		if err != nil {
			return err
		}
		paths = append(paths, more...)
	}
	// Failover against cluster size, at node timeout 2 s, where real clusters of 30 and 60
	// masters were recorded.
	wcfg := experiments.DefaultFailoverConfig()
	wcfg.Runs, wcfg.NodeTimeout, wcfg.Load.Rate = 50, 2*time.Second, 0
	wcfg.Progress = command.Progress(os.Stderr)
	sw, err := experiments.RunFailoverSweep(wcfg, []int{3, 10, 30, 60})
	if err != nil {
		return err
	}
	more, err := plots.FailoverSweepFigure(sw, dir)
	if err != nil {
		return err
	}
	paths = append(paths, more...)
	// Scaling 3 → 10 → 3 and crashes, for each scheme inside the simulated cluster.
	mcfg := experiments.DefaultMovementConfig()
	mcfg.Progress = command.Progress(os.Stderr)
	mres, err := experiments.RunMovement(mcfg)
	if err != nil {
		return err
	}
	more, err = plots.MovementFigures(mres, dir)
	if err != nil {
		return err
	}
	paths = append(paths, more...)
	// The scale-out with big values, at node timeouts of 1, 2 and 15 s.
	gcfg := experiments.DefaultMigrationConfig()
	gcfg.Progress = command.Progress(os.Stderr)
	gres, err := experiments.RunMigration(gcfg)
	if err != nil {
		return err
	}
	more, err = plots.MigrationFigures(gres, dir)
	if err != nil {
		return err
	}
	paths = append(paths, more...)
	// The simulator's own speed at 6, 100 and 1000 nodes: wall times, so this figure, alone,
	// differs from run to run and machine to machine.
	scfg := experiments.DefaultScaleConfig()
	scfg.Progress = command.Progress(os.Stderr)
	sres, err := experiments.RunScale(scfg)
	if err != nil {
		return err
	}
	more, err = plots.ScaleFigures(sres, dir)
	if err != nil {
		return err
	}
	paths = append(paths, more...)
	for _, p := range paths {
		fmt.Println(p)
	}
	return nil
}
