package plots

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"gonum.org/v1/plot"
)

func labels(ticks []plot.Tick) []string {
	var out []string
	for _, t := range ticks {
		if t.Label != "" {
			out = append(out, t.Label)
		}
	}
	return out
}

// Log axes carry labels between the powers of ten when they span few decades, written as
// the decimals they are.
func TestLogTicks(t *testing.T) {
	assert.Equal(t, []string{"0.05", "0.1", "0.2", "0.3", "0.5", "1"}, labels(logTicks{}.Ticks(0.04, 1)))
	assert.Equal(t, []string{"0.05", "0.1", "0.2", "0.5", "1"}, labels(logTicks{}.Ticks(0.025, 1)), "past a decade and a half, no 3 × 10^k")
	assert.Equal(t, []string{"1", "2", "5", "10", "20", "50", "100", "200", "500", "1000"}, labels(logTicks{}.Ticks(1, 1000)))
	assert.Equal(t, []string{"10", "100", "1000", "10000"}, labels(logTicks{}.Ticks(6, 80000)))
	assert.Equal(t, []string{"2", "3", "4"}, labels(logTicks{}.Ticks(1.5, 4.5)), "inside a decade every tick is labelled")
	assert.Len(t, logTicks{}.Ticks(0.025, 1), 7+9+1, "a tick at each of 1..9 × 10^k inside the axis")
	assert.Empty(t, logTicks{}.Ticks(0, 1))
}

// Linear axes get five to eleven labels at 1, 2, 2.5 or 5 × 10^k, with a tick between.
func TestLinearTicks(t *testing.T) {
	assert.Equal(t, []string{"1000", "1200", "1400", "1600", "1800", "2000", "2200", "2400", "2600", "2800", "3000"}, labels(linearTicks{}.Ticks(1000, 3000)))
	assert.Equal(t, []string{"0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"}, labels(linearTicks{}.Ticks(0, 1)))
	assert.Equal(t, []string{"1040", "1060", "1080"}, labels(linearTicks{}.Ticks(1040, 1190))[:3])
	assert.Len(t, linearTicks{}.Ticks(1000, 3000), 21)
}
