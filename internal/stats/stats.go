// Package stats holds the significance tests that the fidelity tests share when they hold a
// simulated frequency to a recorded one:
//
//	p := stats.FisherExact(realHits, realMisses, simHits, simMisses)
//	if p < 0.01 { /* the two rates differ */ }
package stats

import "math"

// FisherExact is the two-sided p-value of Fisher's exact test on the 2×2 table
// [[a b] [c d]]: the probability, with the margins fixed, of a table no more likely than
// this one. It is 1 for a table with an empty row or column.
func FisherExact(a, b, c, d int) float64 {
	row, col, n := a+b, a+c, a+b+c+d
	lchoose := func(n, k int) float64 {
		x, _ := math.Lgamma(float64(n + 1))
		y, _ := math.Lgamma(float64(k + 1))
		z, _ := math.Lgamma(float64(n - k + 1))
		return x - y - z
	}
	prob := func(x int) float64 { return math.Exp(lchoose(row, x) + lchoose(n-row, col-x) - lchoose(n, col)) }
	p0, p := prob(a), 0.0
	for x := max(0, col-(n-row)); x <= min(row, col); x++ {
		if px := prob(x); px <= p0*(1+1e-9) {
			p += px
		}
	}
	return min(p, 1)
}
