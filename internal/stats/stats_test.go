package stats

import (
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
