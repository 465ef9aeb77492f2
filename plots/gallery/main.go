// Command gallery regenerates the figures the README shows, from the default run of every
// experiment, into this folder. Run it from the repository root:
//
//	go run ./plots/gallery
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/plots"
)

func main() {
	dir := flag.String("dir", "plots/gallery", "folder to write the figures to")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gallery:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("%w (run from the repository root, or pass -dir)", err)
	}
	cfg := experiments.DefaultSkewConfig()
	cfg.Progress = os.Stderr
	res, err := experiments.RunSkew(cfg)
	if err != nil {
		return err
	}
	paths, err := plots.SkewFigures(res, dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Println(p)
	}
	return nil
}
