package sim

import (
	"fmt"
	"math/bits"
)

// eventKind says what an event does when it fires.
type eventKind uint8

const (
	evMessage eventKind = iota + 1 // deliver an envelope
	evTimer                        // fire a node's timer
	evAction                       // run a scheduled function (faults, scenario steps)
	evCore                         // a core came free: run what waits for one (Config.Cores)
)

// An event is one entry of the queue: a value struct of 64 bytes, one cache line, with no
// pointer in it, so pushing and popping never allocates, the queue's buckets are moved
// as plain memory, and the garbage collector never scans them. The one field that needs a
// pointer, the message (or an action's func), waits in the engine's msgs at msg; a timer
// has none, so firing one reads nothing outside the queue.
type event struct {
	at     Time
	node   int32  // the node it happens to; -1 for an action
	gen    uint32 // the node's generation when scheduled; older events are stale
	msg    int32  // the place of its message in the engine's msgs; -1 for none
	kind   eventKind
	bounce bool   // a message that comes back as Bounced if its node is down
	accept bool   // a connect, Accepted by a down node's listening socket until it closes
	tries  uint8  // a message's retransmissions so far (Config.Retransmit)
	from   int32  // a message's sender
	sgen   uint32 // the sender's generation when it first retransmitted
	timer  Timer
	id     uint64 // the message's or timer's id in the trace
	cause  uint64 // the id of what was being handled when it was scheduled
}

// queue is a radix heap of events ordered by time, and first-in, first-out within a
// time. The engine only ever schedules at or after the time of the last event it popped
// (nothing happens in the past), and a radix heap is built for exactly such monotone
// queues: an event goes into bucket
// bits.Len64(at XOR last), where last is the time of the last event popped, so bucket 0
// holds the events due at last and bucket b those whose time first differs from last in
// bit b-1. A push is an append. A pop takes from bucket 0, or, when it is empty, finds the
// earliest time in the lowest non-empty bucket, makes it last and spreads that bucket over
// the lower ones. Each event moves down at most 64 times and usually once or twice, and
// every move is a sequential scan, where a binary or 4-ary heap walks a path of cache
// misses through its whole depth on every push and pop.
//
// Events due at the same time always share a bucket (the bucket depends on the time
// alone), appends keep them in push order and spreading keeps their order, so within a
// time they come out first-in, first-out, as the engine requires; no sequence number is
// needed to break ties.
type queue struct {
	buckets [65][]event
	head    int // events of buckets[0] before head are already popped
	last    uint64
	n       int
	// peeked caches what peek found when bucket 0 was empty: the lowest non-empty bucket
	// and the position of its earliest event. A push can add an earlier event to that
	// bucket, or to a lower one, so it drops the cache.
	peekB, peekI int
}

// key maps a time to an unsigned key of the same order (negative times included).
func key(at Time) uint64 { return uint64(at) ^ 1<<63 }

func (q *queue) len() int { return q.n }

func (q *queue) push(e event) {
	k := key(e.at)
	b := 0
	if k != q.last {
		b = bits.Len64(k ^ q.last)
	}
	if k < q.last {
		panic(fmt.Sprintf("sim: event scheduled at %d, before the last event popped (%d)", e.at, int64(q.last^1<<63)))
	}
	q.buckets[b] = append(q.buckets[b], e)
	q.n++
	q.peekB = 0
}

// lowest finds the lowest non-empty bucket above 0 and the position of its earliest event.
func (q *queue) lowest() (b, i int) {
	if q.peekB != 0 {
		return q.peekB, q.peekI
	}
	for b = 1; len(q.buckets[b]) == 0; b++ {
	}
	bucket := q.buckets[b]
	min := key(bucket[0].at)
	for j := 1; j < len(bucket); j++ {
		if k := key(bucket[j].at); k < min {
			min, i = k, j
		}
	}
	q.peekB, q.peekI = b, i
	return b, i
}

// peek returns the earliest event; the queue must not be empty.
func (q *queue) peek() *event {
	if q.head < len(q.buckets[0]) {
		return &q.buckets[0][q.head]
	}
	b, i := q.lowest()
	return &q.buckets[b][i]
}

// pop removes and returns the earliest event; the queue must not be empty.
func (q *queue) pop() event {
	if q.head == len(q.buckets[0]) {
		q.buckets[0], q.head = q.buckets[0][:0], 0
		b, i := q.lowest()
		q.peekB = 0
		bucket := q.buckets[b]
		q.last = key(bucket[i].at)
		for _, e := range bucket {
			k := key(e.at)
			to := 0
			if k != q.last {
				to = bits.Len64(k ^ q.last)
			}
			q.buckets[to] = append(q.buckets[to], e)
		}
		q.buckets[b] = bucket[:0]
	}
	e := q.buckets[0][q.head]
	q.head++
	q.n--
	return e
}
