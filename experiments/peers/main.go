// Command peers measures kvplace's key placement against the Go libraries users would pick
// instead, in one run, on the same generated keys, and prints one table of ratios:
//
//   - slot.Of against github.com/mediocregopher/radix/v3's ClusterSlot (the Redis client
//     whose slot function is public);
//   - ring.Owner at 10, 100 and 1000 members against github.com/golang/groupcache's
//     consistenthash and github.com/serialx/hashring, each at its default number of points
//     per member and at kvplace's, and against github.com/dgryski/go-jump and
//     github.com/dgryski/go-rendezvous, the consistent hashes that are not rings;
//   - how evenly each spreads the keys (σ/mean of keys per member) and the memory each
//     placement structure holds, with kvplace's ring classic and multi-probe
//     (ring.Config.Probes) in the same memory as each peer, and at one point per member
//     on four styles of member names.
//
// It lives in its own module so that kvplace's go.mod does not carry the peers.
//
//	cd experiments/peers && go run .            # 1,000,000 keys, 3 rounds
//	cd experiments/peers && go run . -keys 200000 -rounds 3
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kvplace/kvplace/internal/command"
)

func main() {
	os.Exit(command.Exit("peers", run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) error {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	command.Setup(fs, stderr, "peers [flags]", `Measures kvplace's key placement against the Go libraries users would pick instead
(radix's ClusterSlot, groupcache's consistenthash, serialx/hashring, go-jump,
go-rendezvous) on the same keys, and prints one table of speed, spread and memory.`)
	fs.IntVar(&cfg.Keys, "keys", cfg.Keys, "keys to place (experiments.KeySpec uniform keys, \"key:<16 hex digits>\")")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the keys")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "timed passes over the keys per contender, interleaved; the fastest counts")
	quiet := fs.Bool("q", false, "no progress on stderr")
	if err := command.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return command.Usagef(fs, "unexpected argument %q", fs.Arg(0))
	}
	if !*quiet {
		// Rounds as they end, on a terminal only: a file or pipe gets the banner alone.
		cfg.Progress = command.Progress(stderr)
		fmt.Fprintf(stderr, "peers: seed %d, %d keys, %d rounds\n", cfg.Seed, cfg.Keys, cfg.Rounds)
	}
	start := time.Now()
	res, err := Run(cfg)
	if err != nil {
		return err
	}
	if err := res.WriteTable(stdout); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(stderr, "peers: done in %v\n", time.Since(start).Round(time.Millisecond))
	}
	return nil
}
