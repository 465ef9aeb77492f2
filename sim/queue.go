package sim

// eventKind says what an event does when it fires.
type eventKind uint8

const (
	evMessage eventKind = iota + 1 // deliver an envelope
	evTimer                        // fire a node's timer
	evAction                       // run a scheduled function (faults, scenario steps)
)

// An event is one entry of the queue: a value struct, so pushing and popping never
// allocates. What it carries lives in the engine's payload slab at ref.
type event struct {
	at   Time
	seq  uint64 // insertion order: events at the same time fire first-in, first-out
	ref  int32
	node int32
	gen  uint32 // the node's generation when scheduled; older events are stale
	kind eventKind
}

func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.seq < o.seq
}

// queue is a 4-ary min-heap of events ordered by (at, seq), written out for the event type
// rather than through container/heap, which boxes every element into an interface. Four
// children per node halve the depth of a binary heap, and the four sit in two cache lines.
type queue struct {
	h []event
}

func (q *queue) len() int { return len(q.h) }

func (q *queue) push(e event) {
	q.h = append(q.h, e)
	h := q.h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !e.before(&h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// peek returns the earliest event; the queue must not be empty.
func (q *queue) peek() *event { return &q.h[0] }

// pop removes and returns the earliest event; the queue must not be empty.
func (q *queue) pop() event {
	h := q.h
	top := h[0]
	last := len(h) - 1
	e := h[last]
	h = h[:last]
	q.h = h
	if last == 0 {
		return top
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= last {
			break
		}
		m := c
		end := min(c+4, last)
		for j := c + 1; j < end; j++ {
			if h[j].before(&h[m]) {
				m = j
			}
		}
		if !h[m].before(&e) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = e
	return top
}
