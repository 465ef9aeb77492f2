package experiments

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kvplace/kvplace/sim"
)

// The sampler's frequencies match the exact Zipf probabilities, rank by rank, within
// four standard deviations of the sampling, for exponents below, at and above 1 (and 0,
// uniform), and it never leaves 1..n.
func TestZipfMatchesItsDistribution(t *testing.T) {
	const n, draws = 50, 400_000
	for _, s := range []float64{0, 0.5, 1, 1.5, 3} {
		t.Run(fmt.Sprint("s=", s), func(t *testing.T) {
			z := newZipf(n, s)
			rnd := sim.NewStream(1, "zipf test")
			counts := make([]int, n+1)
			for range draws {
				k := z.draw(&rnd)
				if k < 1 || k > n {
					t.Fatalf("rank %d outside 1..%d", k, n)
				}
				counts[k]++
			}
			total := 0.0
			for k := 1; k <= n; k++ {
				total += math.Pow(float64(k), -s)
			}
			for k := 1; k <= n; k++ {
				p := math.Pow(float64(k), -s) / total
				sd := math.Sqrt(draws * p * (1 - p))
				assert.InDelta(t, draws*p, float64(counts[k]), 4*sd+1, "rank %d", k)
			}
		})
	}
}

// One key: every draw is rank 1.
func TestZipfOfOne(t *testing.T) {
	z := newZipf(1, 1)
	rnd := sim.NewStream(1, "zipf test")
	for range 1000 {
		assert.Equal(t, int64(1), z.draw(&rnd))
	}
}
