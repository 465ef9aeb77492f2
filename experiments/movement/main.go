// Command movement measures what each placement scheme costs when a simulated cluster
// serving traffic grows, shrinks or loses a master. For hash % N, a consistent-hash ring
// and Redis hash slots, on the simulated cluster, it grows 3 → 10 masters one at a time and
// shrinks back, then kills a master and restarts it, with one replica per master and with
// none. Each step reports keys and bytes moved against the minimum, time to settle, and the
// requests that failed, were redirected, missed a stored key or lost an acknowledged write.
// Figures go to ./out/movement.
//
//	go run ./experiments/movement                          # the default comparison, about 15 s
//	go run ./experiments/movement -schemes ring:10,ring:1000 -keys 100000
//	go run ./experiments/movement -to 6 -rate 5000 -json
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/plots"
	"github.com/kvplace/kvplace/sim/live"
)

func main() {
	os.Exit(command.Exit("movement", run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := experiments.DefaultMovementConfig()
	fs := flag.NewFlagSet("movement", flag.ContinueOnError)
	command.Setup(fs, stderr, "movement [flags]", `Runs each placement scheme inside a simulated cluster serving traffic while it grows,
shrinks and loses a master, and reports keys moved, time to settle and failed requests.`)
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed; the same seed gives the same numbers")
	schemes := fs.String("schemes", "modulo,ring:100,slots", "schemes: modulo, ring:<vnodes>, ring:<vnodes>:<probes> (multi-probe), slots (reshard as the seed tutorial does) or slots:rebalance")
	fs.IntVar(&cfg.From, "from", cfg.From, "masters at the start (at least 3)")
	fs.IntVar(&cfg.To, "to", cfg.To, "masters at the peak")
	fs.IntVar(&cfg.Keys, "keys", cfg.Keys, "keys stored before the first event")
	keysFile := fs.String("keys-file", "", "store the keys in this `FILE`, one per line (redis-cli --scan > FILE), instead of key:0, key:1, …")
	fs.IntVar(&cfg.ValueSize, "value-size", cfg.ValueSize, "bytes per stored value")
	size := fs.String("size", "none", "stored values' lengths in bytes, drawn per key in place of -value-size: fixed:BYTES, lognormal:MEDIAN:SIGMA, pareto:MIN:ALPHA, file:PATH (redis-cli --memkeys output, or KEY BYTES [TYPE ELEMENTS] lines), or none")
	fs.DurationVar(&cfg.NodeTimeout, "node-timeout", cfg.NodeTimeout, "cluster-node-timeout")
	fs.DurationVar(&cfg.Outage, "outage", cfg.Outage, "how long a killed master stays down")
	fs.Float64Var(&cfg.Bandwidth, "bandwidth", cfg.Bandwidth, "bytes per second on each link (0: unlimited)")
	fs.Float64Var(&cfg.Rate, "rate", cfg.Rate, "client requests per second in all")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "go-redis clients sharing the rate")
	cfg.Client.Flags(fs)
	fs.BoolVar(&cfg.Live, "live", false, "run the slot schemes on real redis-server processes on loopback, scaled by the real redis-cli, under load from go-redis clients (-schemes defaults to slots)")
	fs.Float64Var(&cfg.Writes, "writes", cfg.Writes, "fraction of requests that write a new key (the rest read a stored one)")
	out := fs.String("out", "out/movement", "folder for the PNG and SVG figures (empty: no figures; with -json or -csv, none unless given)")
	asJSON := fs.Bool("json", false, "print the steps and summaries as JSON")
	asCSV := fs.Bool("csv", false, "print one CSV row per step (the columns of the step table)")
	quiet := fs.Bool("q", false, "no progress on stderr")
	cluster := command.ClusterFlags(fs, "scale and crash, instead of a cluster made by create, a simulated copy of")
	if err := command.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return command.Usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	if *asJSON && *asCSV {
		return command.Usagef(fs, "-csv and -json exclude each other")
	}
	sizes, err := experiments.ParseSize(*size)
	if err != nil {
		return command.Usagef(fs, "-%v", err) // every ParseSize error starts with "size"
	}
	if sizes.Sized() && command.Given(fs, "value-size") {
		return command.Usagef(fs, "-size and -value-size exclude each other")
	}
	cfg.Size = sizes
	// Output for programs (JSON, CSV) comes without figures unless -out asks for them.
	if (*asJSON || *asCSV) && !command.Given(fs, "out") {
		*out = ""
	}
	if *keysFile != "" {
		if command.Given(fs, "keys") {
			return command.Usagef(fs, "-keys is the number of keys in -keys-file")
		}
		if cfg.KeyNames, err = experiments.ReadKeys(*keysFile); err != nil {
			return err
		}
		cfg.Keys, cfg.KeysFile = len(cfg.KeyNames), *keysFile
	}
	nodes, source, cerr := cluster()
	if cerr != nil {
		return cerr
	}
	if nodes != nil {
		if command.Given(fs, "from") {
			return command.Usagef(fs, "-from is the size of the cluster given by -nodes or -addr")
		}
		if !command.Given(fs, "schemes") {
			*schemes = "slots,slots:rebalance"
		}
		cfg.Start, cfg.StartSource = nodes, source
		cfg.From = experiments.StartMasters(nodes)
		cfg.To = max(cfg.To, cfg.From)
	}
	if cfg.Live && !command.Given(fs, "schemes") {
		*schemes = "slots" // the schemes Redis has; slots:rebalance on request
	}
	if cfg.Schemes, err = experiments.ParseSchemes(*schemes); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if cfg.Live {
		defer live.HandleInterrupts()()
	}
	start := time.Now()
	if !*quiet {
		cfg.Progress = command.Progress(stderr)
		fmt.Fprintf(stderr, "movement: seed %d, %s, %d → %d → %d masters, %d keys, %g requests/s\n",
			cfg.Seed, *schemes, cfg.From, cfg.To, cfg.From, cfg.Keys, cfg.Rate)
	}
	res, err := experiments.RunMovement(cfg)
	if err != nil {
		return err
	}
	switch {
	case *asCSV:
		err = experiments.WriteMovementCSV(stdout, res)
	case *asJSON:
		err = command.JSON(stdout, struct {
			*experiments.MovementResult
			Summaries []experiments.MovementSummary `json:"summaries"`
		}{res, res.Summaries()})
	default:
		err = experiments.WriteMovementTable(stdout, res)
	}
	if err != nil {
		return err
	}
	if err := command.Figures(*out, func(dir string) ([]string, error) { return plots.MovementFigures(res, dir) }, *asJSON || *asCSV, stdout, stderr); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "movement: done in %.1fs\n", time.Since(start).Seconds())
	}
	return nil
}
