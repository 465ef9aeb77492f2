package scenario

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim/client"
	"github.com/kvplace/kvplace/sim/cluster"
)

// request is what a LoadValue step sends: the one EVAL that writes the collection, or the
// SET.
func (l LoadValue) request() []string {
	if script, ok := cluster.LoadScripts[l.Kind]; ok {
		return []string{"EVAL", script, "1", l.Key, strconv.Itoa(l.Size)}
	}
	return []string{"SET", l.Key, cluster.LoadString(l.Size)}
}

// options are the go-redis options a LoadValue step's client has: go-redis's defaults but
// for the read and write timeouts, which wait as long as the script can run, a minute and
// 20 µs a field or byte (a real 7.0.15 writes 3 000 000 fields in 15 to 25 s on 2 cores).
func (l LoadValue) options() client.Options {
	d := time.Minute + time.Duration(l.Size)*20*time.Microsecond
	return client.Options{ReadTimeout: d, WriteTimeout: d}
}

// options are the go-redis options a Load step's client has: go-redis's defaults.
func (Load) options() client.Options { return client.Options{} }

// report prints what a Load step did, the same line on both backends.
func (l Load) report(out io.Writer, distinct, redirects, failures int) {
	fmt.Fprintf(out, "(load) %d writes to %d keys: %d redirects, %d errors\n", l.Keys, distinct, redirects, failures)
}

// report prints what a LoadValue step did, the same line on both backends.
func (l LoadValue) report(out io.Writer, redirects int, failure string) {
	unit := map[string]string{"string": "bytes", "hash": "fields"}[l.Kind]
	if unit == "" {
		unit = "elements"
	}
	fmt.Fprintf(out, "(load) %s %s of %d %s: %d redirects", l.Kind, l.Key, l.Size, unit, redirects)
	if failure != "" {
		fmt.Fprintf(out, ", error: %s", failure)
	}
	fmt.Fprintln(out)
}

// values returns the function giving the i-th value a Load step writes: "value-i", or with
// a size that many bytes, "value-i" and then LoadString's filler.
func (l Load) values() func(i int) string {
	if l.Size == 0 {
		return func(i int) string { return "value-" + strconv.Itoa(i) }
	}
	filler := cluster.LoadString(l.Size)
	return func(i int) string {
		prefix := "value-" + strconv.Itoa(i)
		if len(prefix) >= l.Size {
			return prefix[:l.Size]
		}
		return prefix + filler[len(prefix):]
	}
}

// setslotNode returns the position of the node argument of `CLUSTER SETSLOT SLOT
// IMPORTING|MIGRATING|NODE NODE` when it is written as HOST:PORT, which the runner
// replaces with the node's ID (redis-cli itself passes it on, and Redis wants an ID).
func setslotNode(args []string) (int, bool) {
	if len(args) != 5 || !strings.EqualFold(args[0], "cluster") || !strings.EqualFold(args[1], "setslot") {
		return 0, false
	}
	switch strings.ToLower(args[3]) {
	case "importing", "migrating", "node":
		return 4, strings.Contains(args[4], ":")
	}
	return 0, false
}
