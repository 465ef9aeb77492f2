package experiments

import (
	"math"

	"github.com/kvplace/kvplace/sim"
)

// zipf draws ranks 1..n with probability proportional to k^-s (s ≥ 0) by Hörmann and
// Derflinger's rejection-inversion ("Rejection-inversion to generate variates from
// monotone discrete distributions", ACM TOMACS 6(3), 1996): it inverts the integral of a
// continuous hat over the weights and accepts or retries, in constant memory and a
// constant expected number of tries. A cumulative table would cost 8 bytes a key, 1.6 GB
// for the tutorial's 2 × 10⁸ keys.
type zipf struct {
	n, s float64
	// hX1 and hN bound the hat's integral over the ranks; squeeze accepts a draw without
	// computing the exact test when it lands close enough to a rank.
	hX1, hN, squeeze float64
}

func newZipf(n int64, s float64) *zipf {
	z := &zipf{n: float64(n), s: s}
	z.hX1 = z.hIntegral(1.5) - 1
	z.hN = z.hIntegral(z.n + 0.5)
	z.squeeze = 2 - z.hIntegralInverse(z.hIntegral(2.5)-z.h(2))
	return z
}

// draw returns a rank, 1 the most likely.
func (z *zipf) draw(rnd *sim.Stream) int64 {
	for {
		u := z.hN + rnd.Float64()*(z.hX1-z.hN)
		x := z.hIntegralInverse(u)
		k := math.Max(1, math.Min(math.Floor(x+0.5), z.n))
		if k-x <= z.squeeze || u >= z.hIntegral(k+0.5)-z.h(k) {
			return int64(k)
		}
	}
}

// h is the weight x^-s.
func (z *zipf) h(x float64) float64 { return math.Exp(-z.s * math.Log(x)) }

// hIntegral is a primitive of h: (x^(1-s) - 1)/(1-s), and log x at s = 1.
func (z *zipf) hIntegral(x float64) float64 {
	logX := math.Log(x)
	return expm1Over((1-z.s)*logX) * logX
}

// hIntegralInverse inverts hIntegral.
func (z *zipf) hIntegralInverse(x float64) float64 {
	t := max(x*(1-z.s), -1)
	return math.Exp(log1pOver(t) * x)
}

// expm1Over is (e^x - 1)/x, 1 at 0, accurate near 0.
func expm1Over(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Expm1(x) / x
	}
	return 1 + x*0.5*(1+x/3*(1+0.25*x))
}

// log1pOver is log(1+x)/x, 1 at 0, accurate near 0.
func log1pOver(x float64) float64 {
	if math.Abs(x) > 1e-8 {
		return math.Log1p(x) / x
	}
	return 1 - x*(0.5-x*(1.0/3-0.25*x))
}
