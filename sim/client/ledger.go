package client

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A Ledger records an application's writes so that the acknowledged ones a cluster lost
// can be counted afterwards. Every write carries a value no other write has ("w17"), so a
// value read back names the write that produced it: an acknowledged write of the key made
// after that one is lost. A write that was not acknowledged (a timeout) may or may not
// have happened; reading its value back is no loss.
type Ledger struct {
	seq   uint64
	acked map[string][]uint64 // per key, the sequence numbers of acknowledged writes
	keys  []string            // in order of first write
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{acked: map[string][]uint64{}} }

// Value returns the value the next write of key must carry.
func (l *Ledger) Value(key string) string {
	l.seq++
	if _, ok := l.acked[key]; !ok {
		l.acked[key] = nil
		l.keys = append(l.keys, key)
	}
	return "w" + strconv.FormatUint(l.seq, 10)
}

// Ack records that the write of value to key was acknowledged (OK).
func (l *Ledger) Ack(key, value string) error {
	seq, err := Seq(value)
	if err != nil {
		return err
	}
	l.acked[key] = append(l.acked[key], seq)
	return nil
}

// Keys returns every key written, in the order of first write.
func (l *Ledger) Keys() []string { return slices.Clone(l.keys) }

// Acked returns how many writes were acknowledged.
func (l *Ledger) Acked() int {
	n := 0
	for _, a := range l.acked {
		n += len(a)
	}
	return n
}

// Lost returns how many acknowledged writes of key are missing when reading it gives value
// (found false: the key does not exist): those acknowledged after the write that value
// came from, or all of them when the key is gone.
func (l *Ledger) Lost(key, value string, found bool) (int, error) {
	var seq uint64
	if found {
		var err error
		if seq, err = Seq(value); err != nil {
			return 0, fmt.Errorf("key %q: %w", key, err)
		}
	}
	lost := 0
	for _, a := range l.acked[key] {
		if a > seq {
			lost++
		}
	}
	return lost, nil
}

// Seq returns the sequence number of a value Ledger.Value made, which orders the writes
// of one key; a value the ledger did not make is an error.
func Seq(value string) (uint64, error) {
	seq, err := strconv.ParseUint(strings.TrimPrefix(value, "w"), 10, 64)
	if err != nil || !strings.HasPrefix(value, "w") {
		return 0, fmt.Errorf("value %q was not written through the ledger", value)
	}
	return seq, nil
}
