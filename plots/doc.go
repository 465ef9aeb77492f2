// Package plots draws experiment results with gonum.org/v1/plot and writes each figure as
// PNG and SVG. Figures are a pure function of the results: the same seed gives the same
// table and the same bytes on disk.
//
//	res, _ := experiments.RunSkew(experiments.DefaultSkewConfig())
//	paths, _ := plots.SkewFigures(res, "out/skew")
//
// The folder gallery holds the figures the README shows; `go run ./experiments/gallery`
// regenerates them.
package plots
