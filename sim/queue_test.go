package sim

import (
	"container/heap"
	"fmt"
	"slices"
	"testing"
	"time"
	"unsafe"

	"pgregory.net/rapid"
)

// before orders events by time, then by id: the tests number the events they push by id,
// so id order is push order.
func before(e, o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	return e.id < o.id
}

// TestQueueOrder: whatever is pushed (never before the last event popped, as the engine
// schedules) and popped or peeked, events come out by (time, insertion order).
func TestQueueOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q queue
		var model []event
		seq := uint64(0)
		now := Time(rapid.Int64Range(-1<<40, 1<<40).Draw(t, "start"))
		sortModel := func() {
			slices.SortFunc(model, func(a, b event) int {
				if before(&a, &b) {
					return -1
				}
				return 1
			})
		}
		for _, op := range rapid.SliceOfN(rapid.IntRange(-2, 70), 1, 400).Draw(t, "ops") {
			switch {
			case op == -2: // peek
				if q.len() == 0 {
					continue
				}
				sortModel()
				if e := *q.peek(); e != model[0] {
					t.Fatalf("peeked %+v, want %+v", e, model[0])
				}
			case op == -1: // pop
				if q.len() == 0 {
					continue
				}
				e := q.pop()
				sortModel()
				if e != model[0] {
					t.Fatalf("popped %+v, want %+v", e, model[0])
				}
				model = model[1:]
				now = e.at
			default: // push at now plus 0, a small delay, or one of up to 2^60
				seq++
				d := Time(op)
				if op > 50 {
					d = Time(1) << (op - 10)
				}
				e := event{at: now + d, id: seq}
				q.push(e)
				model = append(model, e)
			}
		}
		if q.len() != len(model) {
			t.Fatalf("queue holds %d, model %d", q.len(), len(model))
		}
		for q.len() > 0 {
			e := q.pop()
			sortModel()
			if e != model[0] {
				t.Fatalf("draining: popped %+v, want %+v", e, model[0])
			}
			model = model[1:]
		}
	})
}

func TestQueueRejectsThePast(t *testing.T) {
	var q queue
	q.push(event{at: 10, id: 1})
	q.pop()
	defer func() {
		if recover() == nil {
			t.Fatal("an event before the last one popped was accepted")
		}
	}()
	q.push(event{at: 9, id: 2})
}

// heapQueue is the same queue through container/heap: the baseline the radix heap must beat.
type heapQueue []event

func (h heapQueue) Len() int           { return len(h) }
func (h heapQueue) Less(i, j int) bool { return before(&h[i], &h[j]) }
func (h heapQueue) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *heapQueue) Push(x any)        { *h = append(*h, x.(event)) }
func (h *heapQueue) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

var sinkEvent event

// BenchmarkQueue compares the radix heap with container/heap, in the same run, on a queue
// holding a steady number of pending events: each op pops the earliest event and pushes
// one a random delay later. Report: ns/op is the cost of one pop+push.
//
//	go test -run - -bench Queue -benchmem ./sim
func BenchmarkQueue(b *testing.B) {
	for _, pending := range []int{1_000, 100_000, 1_000_000} {
		st := NewStream(1, "bench")
		delays := make([]Time, 1<<16)
		for i := range delays {
			delays[i] = Time(st.IntN(int(time.Second)))
		}
		b.Run(fmt.Sprintf("pending=%d/typed", pending), func(b *testing.B) {
			var q queue
			seq := uint64(0)
			for i := range pending {
				seq++
				q.push(event{at: delays[i&0xffff], id: seq})
			}
			i := 0
			for b.Loop() {
				e := q.pop()
				seq++
				q.push(event{at: e.at + delays[i&0xffff], id: seq})
				i++
			}
		})
		b.Run(fmt.Sprintf("pending=%d/container-heap", pending), func(b *testing.B) {
			h := &heapQueue{}
			seq := uint64(0)
			for i := range pending {
				seq++
				heap.Push(h, event{at: delays[i&0xffff], id: seq})
			}
			i := 0
			for b.Loop() {
				e := heap.Pop(h).(event)
				seq++
				heap.Push(h, event{at: e.at + delays[i&0xffff], id: seq})
				i++
			}
			sinkEvent = (*h)[0]
		})
	}
}

// ticker keeps a fixed number of timers pending: each firing re-arms itself at a random
// delay drawn from the node's stream.
type ticker struct{ timers int }

func (k *ticker) Start(ctx *Context) {
	for i := range k.timers {
		ctx.After(time.Duration(ctx.Rand.IntN(int(time.Second))), Timer{Arg: int64(i)})
	}
}
func (k *ticker) Step(*Context, int, any) {}
func (k *ticker) Timer(ctx *Context, t Timer) {
	ctx.After(time.Duration(ctx.Rand.IntN(int(time.Second))), t)
}

// relay keeps messages in flight: it passes each message it receives on to a node drawn
// at random.
type relay struct{ nodes int }

type token struct{}

func (r *relay) Start(*Context)                    {}
func (r *relay) Timer(*Context, Timer)             {}
func (r *relay) Step(ctx *Context, _ int, msg any) { ctx.Send(ctx.Rand.IntN(r.nodes), msg, 0) }

// BenchmarkEngine measures the whole engine per event with 10³, 10⁵ and 10⁶ events pending,
// on two workloads: timers, where one node re-arms each timer that fires (pop, trace hash,
// node call, the node's timer request, push), and messages, where 100 nodes pass messages
// at random over links of uniform latency up to a second (the same, plus the network's
// draws and the message kept aside while it travels). It first runs three times the
// pending count of events, so that the queue's buckets have grown to their working size;
// events/s = 1e9/(ns/op).
//
//	go test -run - -bench Engine ./sim
func BenchmarkEngine(b *testing.B) {
	const relays = 100
	for _, work := range []string{"timers", "messages"} {
		for _, pending := range []int{1_000, 100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/pending=%d", work, pending), func(b *testing.B) {
				s, err := New(Config{Seed: 1, Link: Link{Latency: Uniform{0, time.Second}}})
				if err != nil {
					b.Fatal(err)
				}
				switch work {
				case "timers":
					if _, err := s.AddNode("ticker", &ticker{timers: pending}); err != nil {
						b.Fatal(err)
					}
				case "messages":
					for i := range relays {
						if _, err := s.AddNode(fmt.Sprint("relay", i), &relay{nodes: relays}); err != nil {
							b.Fatal(err)
						}
					}
					draw := s.Stream("bench")
					for i := range pending {
						s.Inject(i%relays, draw.IntN(relays), token{}, 0)
					}
				}
				for range 3 * pending {
					s.Step()
				}
				if s.Pending() != pending {
					b.Fatalf("%d events pending, want %d", s.Pending(), pending)
				}
				for b.Loop() {
					s.Step()
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			})
		}
	}
}

// TestEventIsOneCacheLine: the queue moves events as it spreads its buckets and the
// engine reads each one it fires; at 64 bytes an event is one cache line.
func TestEventIsOneCacheLine(t *testing.T) {
	if s := unsafe.Sizeof(event{}); s != 64 {
		t.Fatalf("event is %d bytes, want 64", s)
	}
}
