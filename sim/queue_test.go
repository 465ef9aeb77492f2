package sim

import (
	"container/heap"
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestQueueOrder: whatever is pushed and popped, events come out by (time, insertion order).
func TestQueueOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q queue
		var model []event
		seq := uint64(0)
		var out []event
		for _, op := range rapid.SliceOfN(rapid.IntRange(-1, 50), 1, 300).Draw(t, "ops") {
			if op < 0 {
				if q.len() == 0 {
					continue
				}
				e := q.pop()
				slices.SortFunc(model, func(a, b event) int {
					if a.before(&b) {
						return -1
					}
					return 1
				})
				if e != model[0] {
					t.Fatalf("popped %+v, want %+v", e, model[0])
				}
				model = model[1:]
				out = append(out, e)
				continue
			}
			seq++
			e := event{at: Time(op), seq: seq}
			q.push(e)
			model = append(model, e)
		}
		if q.len() != len(model) {
			t.Fatalf("queue holds %d, model %d", q.len(), len(model))
		}
	})
}

// heapQueue is the same queue through container/heap: the baseline a typed heap must beat.
type heapQueue []event

func (h heapQueue) Len() int           { return len(h) }
func (h heapQueue) Less(i, j int) bool { return h[i].before(&h[j]) }
func (h heapQueue) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *heapQueue) Push(x any)        { *h = append(*h, x.(event)) }
func (h *heapQueue) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

var sinkEvent event

// BenchmarkQueue compares the typed heap with container/heap, in the same run, on a queue
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
				q.push(event{at: delays[i&0xffff], seq: seq})
			}
			i := 0
			for b.Loop() {
				e := q.pop()
				seq++
				q.push(event{at: e.at + delays[i&0xffff], seq: seq})
				i++
			}
		})
		b.Run(fmt.Sprintf("pending=%d/container-heap", pending), func(b *testing.B) {
			h := &heapQueue{}
			seq := uint64(0)
			for i := range pending {
				seq++
				heap.Push(h, event{at: delays[i&0xffff], seq: seq})
			}
			i := 0
			for b.Loop() {
				e := heap.Pop(h).(event)
				seq++
				heap.Push(h, event{at: e.at + delays[i&0xffff], seq: seq})
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

// BenchmarkEngine measures the whole engine per event (pop, trace hash, node call, the
// node's timer request, push) with 10³, 10⁵ and 10⁶ events pending; events/s = 1e9/(ns/op).
func BenchmarkEngine(b *testing.B) {
	for _, pending := range []int{1_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			s, err := New(Config{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.AddNode("ticker", &ticker{timers: pending}); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				s.Step()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
