package scenario

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// redis-cli prints two lines per slot of a reshard or rebalance: one in the plan it shows
// ("    Moving slot 5461 from <node ID>"), one as it moves the slot ("Moving slot 5461 from
// 127.0.0.1:6382 to 127.0.0.1:6387: " and a dot per MIGRATE batch of keys). The seed's
// runbook prints 16,384 of them among 382 other lines.
var (
	planLine = regexp.MustCompile(`^    Moving slot (\d+) from (\S+)$`)
	moveLine = regexp.MustCompile(`^Moving slot (\d+) from (\S+) to (\S+): (\.*)$`)
)

// A briefWriter passes what it is given on to w, except that it folds each run of
// consecutive per-slot lines with the same source (and target) into one line:
//
//	    Moving 1366 slots from ad80…: 5461-6826
//	Moving 1366 slots from 127.0.0.1:6382 to 127.0.0.1:6387: 5461-6826 ....
//
// where the dots are all the slots' dots, one per MIGRATE batch, as redis-cli printed them.
// Everything else passes through unchanged, in order. Close writes out a fold still open.
type briefWriter struct {
	w       io.Writer
	partial []byte // a line not yet ended

	kind  int    // 0: no fold open; 1: plan lines; 2: move lines
	from  string // the fold's source
	to    string // and target (move lines)
	slots []int
	dots  int
}

func newBriefWriter(w io.Writer) *briefWriter { return &briefWriter{w: w} }

// Write takes p whole: lines are passed on, or folded, as they end.
func (b *briefWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			b.partial = append(b.partial, p...)
			break
		}
		line := string(append(b.partial, p[:i]...))
		b.partial = b.partial[:0]
		p = p[i+1:]
		if err := b.line(line); err != nil {
			return n - len(p), err
		}
	}
	return n, nil
}

func (b *briefWriter) line(l string) error {
	if m := planLine.FindStringSubmatch(l); m != nil {
		if s, err := strconv.Atoi(m[1]); err == nil {
			return b.fold(1, s, m[2], "", "")
		}
	}
	if m := moveLine.FindStringSubmatch(l); m != nil {
		if s, err := strconv.Atoi(m[1]); err == nil {
			return b.fold(2, s, m[2], m[3], m[4])
		}
	}
	if err := b.flush(); err != nil {
		return err
	}
	_, err := io.WriteString(b.w, l+"\n")
	return err
}

func (b *briefWriter) fold(kind, s int, from, to, dots string) error {
	if b.kind != kind || b.from != from || b.to != to {
		if err := b.flush(); err != nil {
			return err
		}
		b.kind, b.from, b.to = kind, from, to
	}
	b.slots = append(b.slots, s)
	b.dots += len(dots)
	return nil
}

// flush writes the open fold's one line, if a fold is open.
func (b *briefWriter) flush() error {
	if b.kind == 0 {
		return nil
	}
	noun := "slots"
	if len(b.slots) == 1 {
		noun = "slot"
	}
	var line string
	if b.kind == 1 {
		line = fmt.Sprintf("    Moving %d %s from %s: %s\n", len(b.slots), noun, b.from, slotRanges(b.slots))
	} else {
		line = fmt.Sprintf("Moving %d %s from %s to %s: %s", len(b.slots), noun, b.from, b.to, slotRanges(b.slots))
		if b.dots > 0 {
			line += " " + strings.Repeat(".", b.dots)
		}
		line += "\n"
	}
	b.kind, b.slots, b.dots = 0, b.slots[:0], 0
	_, err := io.WriteString(b.w, line)
	return err
}

// Close writes out the open fold and a line left without its newline.
func (b *briefWriter) Close() error {
	if err := b.flush(); err != nil {
		return err
	}
	if len(b.partial) > 0 {
		_, err := b.w.Write(b.partial)
		b.partial = b.partial[:0]
		return err
	}
	return nil
}

// slotRanges writes slots, in the order given, as ranges of consecutive ascending numbers:
// 1,2,3,7,9,10 is "1-3,7,9-10".
func slotRanges(slots []int) string {
	var sb strings.Builder
	for i := 0; i < len(slots); {
		j := i
		for j+1 < len(slots) && slots[j+1] == slots[j]+1 {
			j++
		}
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(slots[i]))
		if j > i {
			sb.WriteString("-" + strconv.Itoa(slots[j]))
		}
		i = j + 1
	}
	return sb.String()
}
