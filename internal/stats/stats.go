// Package stats holds the significance tests that the fidelity tests share when they hold a
// simulated frequency or distribution to a recorded one:
//
//	p := stats.FisherExact(realHits, realMisses, simHits, simMisses)
//	if p < 0.01 { /* the two rates differ */ }
//	z := stats.MannWhitneyZ(realTimes, simTimes)
//	if math.Abs(z) > 2.576 { /* the two distributions differ at the 1 % level */ }
package stats

import (
	"cmp"
	"math"
	"slices"
)

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

// MannWhitneyZ is the Mann-Whitney U statistic of xs against ys as a z score: the normal
// approximation with the correction for ties, positive when xs tend to be larger; 0 when
// every value is the same.
func MannWhitneyZ[T cmp.Ordered](xs, ys []T) float64 {
	type obs struct {
		v     T
		fromX bool
	}
	all := make([]obs, 0, len(xs)+len(ys))
	for _, x := range xs {
		all = append(all, obs{x, true})
	}
	for _, y := range ys {
		all = append(all, obs{y, false})
	}
	slices.SortFunc(all, func(a, b obs) int { return cmp.Compare(a.v, b.v) })
	n1, n2 := float64(len(xs)), float64(len(ys))
	n := n1 + n2
	rankSumX, ties := 0.0, 0.0
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // the mean of ranks i+1..j
		for _, o := range all[i:j] {
			if o.fromX {
				rankSumX += rank
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	u := rankSumX - n1*(n1+1)/2
	variance := n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if variance <= 0 {
		return 0
	}
	return (u - n1*n2/2) / math.Sqrt(variance)
}
