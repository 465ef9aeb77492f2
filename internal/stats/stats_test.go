package stats

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFisherExact(t *testing.T) {
	// Values from an independent computation (Python, math.comb).
	assert.InDelta(t, 0.12084, FisherExact(7, 41, 42, 118), 1e-4)
	assert.InDelta(t, 1.0, FisherExact(5, 5, 5, 5), 1e-9)
	assert.InDelta(t, 1.0, FisherExact(0, 0, 3, 4), 1e-9)
	// 0 of 10 against 10 of 10: 2 / C(20, 10).
	assert.InDelta(t, 2.0/184756, FisherExact(0, 10, 10, 0), 1e-12)
}

func TestMannWhitneyZ(t *testing.T) {
	// No overlap, no ties: U = 0 against a mean of 4.5 and a variance of 3·3·7/12.
	assert.InDelta(t, -4.5/math.Sqrt(5.25), MannWhitneyZ([]int{1, 2, 3}, []int{4, 5, 6}), 1e-12)
	assert.InDelta(t, 4.5/math.Sqrt(5.25), MannWhitneyZ([]int{4, 5, 6}, []int{1, 2, 3}), 1e-12)
	// Ties: xs {1,2,2}, ys {2,3}: ranks 1, 3, 3 | 3, 5; U = 7-6 = 1 against 3; tie term 3³-3
	// = 24, variance 3·2/12·(6 - 24/20) = 2.4.
	assert.InDelta(t, -2/math.Sqrt(2.4), MannWhitneyZ([]int{1, 2, 2}, []int{2, 3}), 1e-12)
	assert.Zero(t, MannWhitneyZ([]int{0, 0}, []int{0, 0, 0}))
}
