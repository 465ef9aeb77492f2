package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kvplace/kvplace/internal/command"
	"github.com/kvplace/kvplace/ring"
)

// TestSmallRun: every contender runs, slot.Of agrees with radix's ClusterSlot on every key
// (Run fails otherwise), kvplace's ring allocates nothing, and the verdicts are printed.
func TestSmallRun(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run([]string{"-keys", "20000", "-rounds", "1"}, &out, &errs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"radix/v3 ClusterSlot", "groupcache consistenthash", "serialx hashring", "go-jump Hash", "go-rendezvous Lookup",
		"ring: the owner of a key among 1000 members",
		"slot.Of vs radix/v3 ClusterSlot:",
		"kvplace multi-probe        21 probes",
		"ring.Owner allocations per lookup, classic and multi-probe: 0 (target 0: met)",
		"spread: no ring peer is more even than kvplace's ring in the same memory, classic or with 21 probes",
		"spread at one point per member, by how the members are named",
		"1000  40 random hex digits (node IDs)",
		"spread at one point per member over 12 naming styles and sizes:",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errs.String(), "peers: seed 1, 20000 keys, 1 rounds") {
		t.Errorf("no seed on stderr: %q", errs.String())
	}
}

// TestSpreadOfPerfectSplit: keys spread exactly evenly have no spread beyond the sample's.
func TestSpreadOfPerfectSplit(t *testing.T) {
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = string(rune('a' + i%10))
	}
	if s := spread(keys, 10, func(k string) int { return int(k[0] - 'a') }); s != 0 {
		t.Errorf("spread %v, want 0", s)
	}
	if s := spread(keys, 10, func(string) int { return 0 }); s < 2.9 {
		t.Errorf("all keys on one member of ten: spread %v, want 3", s)
	}
}

func TestBadFlags(t *testing.T) {
	var out, errs bytes.Buffer
	if err := run([]string{"-keys", "10", "-q"}, &out, &errs); err == nil || !strings.Contains(err.Error(), "keys 10: want at least 1000") {
		t.Errorf("got %v", err)
	}
	if err := run([]string{"extra"}, &out, &errs); err == nil || !strings.Contains(err.Error(), `unexpected argument "extra"`) {
		t.Errorf("got %v", err)
	}
}

// TestRingPointsIn: the search finds the ring that fills a budget exactly, from a guess
// below it and from one above.
func TestRingPointsIn(t *testing.T) {
	names := members(100, 0)
	_, bytes := held(func() any {
		r, _ := ring.New(names, ring.Config{VNodes: 3})
		return r
	})
	for _, guess := range []int{1, 3, 10} {
		if v := ringPointsIn(100, bytes, guess); v != 3 {
			t.Errorf("from guess %d: %d points fit in the bytes of a 3-point ring", guess, v)
		}
	}
}

// TestNameStyles: every style names each member of a cluster differently, and no two
// trials' clusters share a name, so the trials are independent rings.
func TestNameStyles(t *testing.T) {
	for _, st := range nameStyles {
		seen := map[string]bool{}
		for trial := 1; trial <= spreadTrials; trial++ {
			for _, n := range st.names(1000, trial) {
				if seen[n] {
					t.Fatalf("style %s: %q named twice", st.name, n)
				}
				seen[n] = true
			}
		}
	}
}

// The Go conventions of every kvplace command: -h exits 0 with a synopsis, bad usage exits
// 2, and progress goes to a terminal only, not to a buffer or file.
func TestConventions(t *testing.T) {
	var out, errs bytes.Buffer
	if code := command.Exit("peers", run([]string{"-h"}, &out, &errs), &errs); code != 0 {
		t.Errorf("-h exits %d, want 0", code)
	}
	if !strings.Contains(errs.String(), "usage: peers [flags]") {
		t.Errorf("-h printed %q", errs.String())
	}
	for _, args := range [][]string{{"extra"}, {"-no-such-flag"}} {
		if code := command.Exit("peers", run(args, &out, &errs), &errs); code != 2 {
			t.Errorf("%q exits %d, want 2", args, code)
		}
	}
	errs.Reset()
	if err := run([]string{"-keys", "2000", "-rounds", "2"}, &out, &errs); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errs.String(), "round 1/2") {
		t.Errorf("progress went to a buffer: %q", errs.String())
	}
}
