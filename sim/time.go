package sim

import (
	"fmt"
	"math"
	"time"
)

// Time is virtual time: nanoseconds since the simulation started. Nothing in a simulation
// reads the wall clock.
type Time int64

// MaxTime is the latest virtual time there is, about 292 years after the start.
const MaxTime = Time(math.MaxInt64)

// Add returns t+d, saturated at MaxTime and at math.MinInt64: a delay too long to represent
// comes at the end of time instead of wrapping around to the past (After such a delay
// never fires; it does not fire at once).
func (t Time) Add(d time.Duration) Time {
	switch {
	case d > 0 && t > MaxTime-Time(d):
		return MaxTime
	case d < 0 && t < Time(math.MinInt64)-Time(d):
		return Time(math.MinInt64)
	}
	return t + Time(d)
}

// Sub returns t-u as a duration.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Milliseconds returns t in whole milliseconds.
func (t Time) Milliseconds() int64 { return int64(t) / int64(time.Millisecond) }

// String prints t as a duration since the start, "1.5s".
func (t Time) String() string { return time.Duration(t).String() }

// At returns the virtual time d after the start.
func At(d time.Duration) Time { return Time(d) }

// EpochUnixMilli is the wall-clock instant, in Unix milliseconds, that virtual time 0
// stands for when a model must print a date, as CLUSTER NODES prints its ping and pong
// times: 2026-11-24T00:00:00Z. It is a constant, so no run can shift another's dates.
const EpochUnixMilli int64 = 1795478400000

// Epoch returns EpochUnixMilli as a time.Time.
func Epoch() time.Time { return time.UnixMilli(EpochUnixMilli).UTC() }

// UnixMilli returns the Unix time in milliseconds that t stands for.
func (t Time) UnixMilli() int64 { return EpochUnixMilli + t.Milliseconds() }

// formatTime prints t with millisecond precision and a fixed width for traces: "12.345s".
func formatTime(t Time) string {
	ms := t.Milliseconds()
	return fmt.Sprintf("%d.%03ds", ms/1000, ms%1000)
}
