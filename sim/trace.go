package sim

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// A Kind is what a trace record reports.
type Kind uint8

// Trace record kinds.
const (
	KSend    Kind = iota + 1 // a node sent a message
	KDeliver                 // a message reached its node
	KDrop                    // the network lost a message, or its node was down
	KTimer                   // a node's timer fired
	KCrash                   // a node crashed, losing what it had not persisted
	KRestart                 // a crashed node started again
	KPause                   // a node stalled (its process stopped)
	KResume                  // a stalled node continued
	KFault                   // the network changed: partition, block, heal
	KNote                    // a node reported something about its own state
)

var kindNames = [...]string{"", "send", "deliver", "drop", "timer", "crash", "restart", "pause", "resume", "fault", "note"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// A Record is one line of the trace.
type Record struct {
	At     Time
	Node   int    // the node it happened on; -1 for the network
	Kind   Kind   //
	ID     uint64 // the message or timer, for sends, deliveries, drops and timers
	Cause  uint64 // the message or timer being handled when this happened; 0 if none
	Peer   int    // the other end of a message; -1 if none
	Detail string // what the message or note says
}

// A Trace hashes every record into a running 64-bit hash, so that two runs can be compared
// cheaply, and keeps the records themselves when asked to.
type Trace struct {
	keep    bool
	records []Record
	hash    uint64
	n       uint64
	names   func(int) string
}

// Hash returns the running hash of every record so far.
func (t *Trace) Hash() uint64 { return t.hash }

// Len returns the number of records so far, kept or not.
func (t *Trace) Len() uint64 { return t.n }

// Records returns the records kept (none unless the simulation was built with KeepTrace).
func (t *Trace) Records() []Record { return t.records }

func (t *Trace) add(r Record) {
	h := t.hash
	detail := uint64(0)
	if r.Kind != KSend && r.Kind != KDeliver {
		// A message is identified by its ID; its printed form is made only for kept records,
		// so it must not change the hash.
		detail = hashString(r.Detail)
	}
	// The fields are mixed independently, so that the processor overlaps the five mixes, and
	// only their sum is chained onto the running hash: the record's order still counts.
	nodes := uint64(uint32(r.Node)) | uint64(uint32(r.Peer))<<32
	x := Mix64(uint64(r.At)^0x9e3779b97f4a7c15) + Mix64(nodes^0xc2b2ae3d27d4eb4f) +
		Mix64(r.ID^0x165667b19e3779f9) + Mix64(r.Cause^0xd6e8feb86659fd93) +
		Mix64(detail^uint64(r.Kind)*0xff51afd7ed558ccd)
	t.hash = Mix64(h ^ x)
	t.n++
	if t.keep {
		t.records = append(t.records, r)
	}
}

func (t *Trace) name(i int) string {
	if i < 0 {
		return "net"
	}
	return t.names(i)
}

// WriteText writes the kept records one per line: time, node, kind, peer, ids, detail.
func (t *Trace) WriteText(w io.Writer) error {
	for _, r := range t.records {
		var b strings.Builder
		fmt.Fprintf(&b, "%10s %-12s %-7s", formatTime(r.At), t.name(r.Node), r.Kind)
		if r.Peer >= 0 {
			arrow := "->"
			if r.Kind == KDeliver || r.Kind == KDrop {
				arrow = "<-"
			}
			fmt.Fprintf(&b, " %s %s", arrow, t.name(r.Peer))
		}
		if r.ID != 0 {
			fmt.Fprintf(&b, " #%d", r.ID)
		}
		if r.Cause != 0 {
			fmt.Fprintf(&b, " (after #%d)", r.Cause)
		}
		if r.Detail != "" {
			b.WriteString(" " + r.Detail)
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// chromeEvent is one entry of the Chrome trace-event format that ui.perfetto.dev reads.
type chromeEvent struct {
	Name string         `json:"name"`
	Cat  string         `json:"cat,omitempty"`
	Ph   string         `json:"ph"`
	Ts   float64        `json:"ts"`            // microseconds
	Dur  float64        `json:"dur,omitempty"` // microseconds
	Pid  int            `json:"pid"`
	Tid  int            `json:"tid"`
	ID   uint64         `json:"id,omitempty"`
	BP   string         `json:"bp,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// WriteChrome writes the kept records in the Chrome/Perfetto trace-event JSON format: one
// track per node, an instant event per record, and an arrow from each send to its delivery.
// Open the file at https://ui.perfetto.dev. The events are written as they are made, so a
// trace of millions of records needs no second copy in memory.
func (t *Trace) WriteChrome(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(`{"displayTimeUnit":"ms","traceEvents":[`)
	first := true
	var merr error
	emit := func(e chromeEvent) {
		b, err := json.Marshal(e)
		if err != nil {
			merr = cmp.Or(merr, err)
			return
		}
		if !first {
			bw.WriteByte(',')
		}
		first = false
		bw.Write(b)
	}
	named := map[int]bool{}
	for _, r := range t.records {
		tid := r.Node + 1 // track 0 is the network
		if !named[r.Node] {
			named[r.Node] = true
			emit(chromeEvent{Name: "thread_name", Ph: "M", Pid: 1, Tid: tid, Args: map[string]any{"name": t.name(r.Node)}})
		}
		ts := float64(r.At) / 1e3
		name := r.Kind.String()
		if r.Detail != "" {
			name += " " + r.Detail
		}
		args := map[string]any{}
		if r.ID != 0 {
			args["id"] = r.ID
		}
		if r.Cause != 0 {
			args["cause"] = r.Cause
		}
		if r.Peer >= 0 {
			args["peer"] = t.name(r.Peer)
		}
		// A one-microsecond slice rather than an instant, so that flow arrows bind to it.
		emit(chromeEvent{Name: name, Cat: r.Kind.String(), Ph: "X", Ts: ts, Dur: 1, Pid: 1, Tid: tid, Args: args})
		switch r.Kind {
		case KSend:
			emit(chromeEvent{Name: "message", Cat: "flow", Ph: "s", Ts: ts, Pid: 1, Tid: tid, ID: r.ID})
		case KDeliver:
			emit(chromeEvent{Name: "message", Cat: "flow", Ph: "f", BP: "e", Ts: ts, Pid: 1, Tid: tid, ID: r.ID})
		}
	}
	if merr != nil {
		return merr
	}
	bw.WriteString("]}\n")
	return bw.Flush()
}
