package live

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"time"
)

// A LogLine is one line of a redis-server log: when it was written (the server's clock,
// to the millisecond) and what it says.
type LogLine struct {
	At   time.Time
	Text string
}

// logLine matches "PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL text", ROLE one of X C S M and
// LEVEL one of . - * # (serverLogRaw).
var logLine = regexp.MustCompile(`^\d+:[XCSM] (\d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3}) [.\-*#] (.*)$`)

// ReadLog returns the timestamped lines of the redis-server log at path, in order, leaving
// out the startup banner's lines, which have no timestamp.
func ReadLog(path string) ([]LogLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []LogLine
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		m := logLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		// Redis writes its local time (strftime of localtime): read it so, and the line can
		// be compared with this process's clock.
		at, err := time.ParseInLocation("02 Jan 2006 15:04:05.000", m[1], time.Local)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		lines = append(lines, LogLine{At: at, Text: m[2]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return lines, nil
}
