package sim

import (
	"fmt"
	"time"
)

// Time is virtual time: nanoseconds since the simulation started. Nothing in a simulation
// reads the wall clock.
type Time int64

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

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
