package plots

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
)

// logTicks marks a logarithmic axis at 1, 2, …, 9 × 10^k and labels enough of them to
// read values between powers of ten: 1, 2, 3 and 5 × 10^k on an axis of up to a decade and
// a half, 1, 2 and 5 × 10^k up to three and a half, and the powers of ten alone beyond.
// gonum's plot.LogTicks labels only the powers, which leaves an axis spanning less than
// two decades with one label or none.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > lo) || math.IsInf(hi, 0) {
		return nil
	}
	decades := math.Log10(hi / lo)
	labelled := map[int]bool{1: true}
	switch {
	case decades <= 1.5:
		labelled[2], labelled[3], labelled[5] = true, true, true
	case decades <= 3.5:
		labelled[2], labelled[5] = true, true
	}
	var ticks []plot.Tick
	count := 0
	for e := int(math.Floor(math.Log10(lo))); e <= int(math.Ceil(math.Log10(hi))); e++ {
		for m := 1; m <= 9; m++ {
			// m × 10^e as the decimal it names, not as m times an inexact 10^e.
			v, _ := strconv.ParseFloat(strconv.Itoa(m)+"e"+strconv.Itoa(e), 64)
			if v < lo*(1-1e-12) || v > hi*(1+1e-12) {
				continue
			}
			t := plot.Tick{Value: v}
			if labelled[m] {
				t.Label = strconv.FormatFloat(v, 'g', -1, 64)
				count++
			}
			ticks = append(ticks, t)
		}
	}
	if count < 3 { // a short stretch of one decade: label every tick
		for i := range ticks {
			ticks[i].Label = strconv.FormatFloat(ticks[i].Value, 'g', -1, 64)
		}
	}
	return ticks
}

// linearTicks labels a linear axis every 1, 2, 2.5 or 5 × 10^k, the finest of them that
// leaves at most ten steps (so five to eleven labels), with an unlabelled tick halfway.
type linearTicks struct{}

func (linearTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		return nil
	}
	step := 0.0
	for e := math.Floor(math.Log10(hi-lo)) - 1; step == 0; e++ {
		for _, m := range []float64{1, 2, 2.5, 5} {
			s := m * math.Pow(10, e)
			if (hi-lo)/s <= 10 {
				step = s
				break
			}
		}
	}
	var ticks []plot.Tick
	for i := math.Ceil(lo / (step / 2)); i*step/2 <= hi*(1+1e-12); i++ {
		v := i * step / 2
		t := plot.Tick{Value: v}
		if math.Mod(i, 2) == 0 {
			t.Label = strconv.FormatFloat(v, 'g', 12, 64)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
