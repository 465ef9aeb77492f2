package sim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/seedtest"
	"github.com/kvplace/kvplace/sim"
)

// ping is the message chatter nodes exchange.
type ping struct {
	Seq    int
	SentAt sim.Time
}

func (p ping) String() string { return fmt.Sprintf("ping %d", p.Seq) }

// delivery is one message as its receiver saw it.
type delivery struct {
	From, To, Seq    int
	SentAt, Received sim.Time
}

// chatter sends a ping to a random peer every period and logs what it receives and what it
// draws from its random stream.
type chatter struct {
	n      int // number of nodes it may send to
	period time.Duration
	seq    int
	got    *[]delivery
	draws  []uint64
	starts int
	check  func(ctx *sim.Context, from int, p ping) // extra checks at delivery
}

func (c *chatter) Start(ctx *sim.Context) {
	c.starts++
	ctx.After(c.period, sim.Timer{Kind: 1})
}

func (c *chatter) Timer(ctx *sim.Context, t sim.Timer) {
	c.draws = append(c.draws, ctx.Rand.Uint64())
	if c.n > 1 {
		to := ctx.Rand.IntN(c.n - 1)
		if to >= ctx.Node {
			to++
		}
		c.seq++
		ctx.Send(to, ping{Seq: c.seq, SentAt: ctx.Now}, 100)
	}
	ctx.After(c.period, t)
}

func (c *chatter) Step(ctx *sim.Context, from int, msg any) {
	p := msg.(ping)
	if c.check != nil {
		c.check(ctx, from, p)
	}
	*c.got = append(*c.got, delivery{From: from, To: ctx.Node, Seq: p.Seq, SentAt: p.SentAt, Received: ctx.Now})
}

func newSim(t testing.TB, cfg sim.Config) *sim.Sim {
	t.Helper()
	s, err := sim.New(cfg)
	require.NoError(t, err)
	return s
}

func addChatters(t testing.TB, s *sim.Sim, n int, period time.Duration, got *[]delivery) []*chatter {
	t.Helper()
	var cs []*chatter
	for i := range n {
		c := &chatter{n: n, period: period, got: got}
		_, err := s.AddNode(fmt.Sprintf("n%d", i), c)
		require.NoError(t, err)
		cs = append(cs, c)
	}
	return cs
}

var lan = sim.Link{Latency: sim.Uniform{Min: 100 * time.Microsecond, Max: 2 * time.Millisecond}}

// stormy runs 8 chatters under a fault mix drawn from the seed, with crashes and restarts,
// and returns the trace hash and length.
func stormy(t testing.TB, seed uint64, keep bool) (uint64, uint64, *sim.Sim) {
	s := newSim(t, sim.Config{Seed: seed, Link: lan, KeepTrace: keep})
	var got []delivery
	cs := addChatters(t, s, 8, 10*time.Millisecond, &got)
	st := s.Stream("swarm")
	f := sim.Swarm(&st, sim.Faults{
		Drop: 0.2, Duplicate: 0.1, Reorder: 0.3,
		PartitionEvery: 200 * time.Millisecond, PartitionFor: 100 * time.Millisecond,
		PauseEvery: 300 * time.Millisecond, PauseFor: 50 * time.Millisecond,
		CrashEvery: 400 * time.Millisecond, DownFor: 100 * time.Millisecond,
	})
	nodes := []int{0, 1, 2, 3, 4, 5, 6, 7}
	fi := s.InjectFaults(f, nodes, func(i int) sim.Node { return &chatter{n: 8, period: 10 * time.Millisecond, got: &got} })
	s.At(sim.At(2*time.Second), fi.Stop)
	s.SetClockOffset(3, 250*time.Millisecond)
	s.RunUntil(sim.At(3 * time.Second))
	_ = cs
	return s.Trace().Hash(), s.Trace().Len(), s
}

func TestSameSeedSameTrace(t *testing.T) {
	hashes := map[uint64]bool{}
	seedtest.ForSeeds(t, 40, func(t *testing.T, seed uint64) {
		h1, n1, _ := stormy(t, seed, false)
		h2, n2, _ := stormy(t, seed, true) // keeping records must not change the run
		require.Equal(t, n1, n2, "trace length")
		require.Equal(t, h1, h2, "trace hash")
		require.Greater(t, n1, uint64(1000))
		hashes[h1] = true
	})
	if !t.Failed() && len(hashes) > 0 {
		assert.Greater(t, len(hashes), 35, "different seeds should run differently")
	}
}

// TestAddingANodeKeepsOtherStreams: a node's draws depend on the seed and its name, not on
// which other nodes exist.
func TestAddingANodeKeepsOtherStreams(t *testing.T) {
	run := func(extra bool) [][]uint64 {
		s := newSim(t, sim.Config{Seed: 9, Link: lan})
		var got []delivery
		if extra {
			_, err := s.AddNode("newcomer", &chatter{n: 1, period: 7 * time.Millisecond, got: &got})
			require.NoError(t, err)
		}
		cs := addChatters(t, s, 3, 10*time.Millisecond, &got)
		s.RunFor(time.Second)
		var draws [][]uint64
		for _, c := range cs {
			draws = append(draws, c.draws)
		}
		return draws
	}
	without, with := run(false), run(true)
	require.Len(t, without[0], 100)
	assert.Equal(t, without, with)
}

func TestStreams(t *testing.T) {
	a, b := sim.NewStream(1, "a"), sim.NewStream(1, "a")
	c := sim.NewStream(1, "b")
	d := sim.NewStream(2, "a")
	for range 100 {
		x := a.Uint64()
		assert.Equal(t, x, b.Uint64())
		assert.NotEqual(t, x, c.Uint64())
		assert.NotEqual(t, x, d.Uint64())
	}
	assert.Equal(t, uint64(100), a.Draws())
	counts := make([]int, 7)
	sum, sq := 0.0, 0.0
	for range 70000 {
		counts[a.IntN(7)]++
		f := a.Float64()
		require.True(t, f >= 0 && f < 1)
		z := a.NormFloat64()
		sum += z
		sq += z * z
	}
	for _, n := range counts {
		assert.InDelta(t, 10000, n, 400)
	}
	assert.InDelta(t, 0, sum/70000, 0.02)
	assert.InDelta(t, 1, sq/70000, 0.03)
	assert.Panics(t, func() { a.IntN(0) })
	perm := a.Rand().Perm(5)
	assert.ElementsMatch(t, []int{0, 1, 2, 3, 4}, perm)
}

func TestLatencies(t *testing.T) {
	st := sim.NewStream(3, "lat")
	assert.Equal(t, 5*time.Millisecond, sim.Constant(5*time.Millisecond).Sample(&st))
	u := sim.Uniform{Min: time.Millisecond, Max: 3 * time.Millisecond}
	var xs []float64
	for range 20000 {
		d := u.Sample(&st)
		require.True(t, d >= u.Min && d <= u.Max, "%v outside %v", d, u)
		xs = append(xs, float64(d))
	}
	assert.InEpsilon(t, float64(2*time.Millisecond), mean(xs), 0.01)
	ln := sim.LogNormal{Median: time.Millisecond, Sigma: 1}
	xs = xs[:0]
	for range 20001 {
		xs = append(xs, float64(ln.Sample(&st)))
	}
	sort.Float64s(xs)
	assert.InEpsilon(t, float64(time.Millisecond), xs[10000], 0.05, "median")
	assert.InEpsilon(t, float64(time.Millisecond)*math.Exp(2.326), xs[19800], 0.15, "99th percentile")
	assert.Equal(t, "uniform(1ms, 3ms)", u.String())
	assert.Equal(t, "lognormal(median 1ms, σ 1)", ln.String())
	assert.Equal(t, sim.Uniform{Min: 2, Max: 1}.Sample(&st), time.Duration(2))
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// twoNodes sets up a sender that sends n pings to node 1 at once, at time 0.
type burst struct {
	n, size int
	got     *[]delivery
}

func (b *burst) Start(ctx *sim.Context) {
	if ctx.Node != 0 {
		return
	}
	for i := range b.n {
		ctx.Send(1, ping{Seq: i + 1, SentAt: ctx.Now}, b.size)
	}
}
func (b *burst) Timer(*sim.Context, sim.Timer) {}
func (b *burst) Step(ctx *sim.Context, from int, msg any) {
	p := msg.(ping)
	*b.got = append(*b.got, delivery{From: from, To: ctx.Node, Seq: p.Seq, SentAt: p.SentAt, Received: ctx.Now})
}

func sequence(s *sim.Sim, from, to int, n, size int) {
	s.At(0, func() {
		for i := range n {
			s.Inject(from, to, ping{Seq: i + 1, SentAt: s.Now()}, size)
		}
	})
}

func receiverSim(t *testing.T, link sim.Link) (*sim.Sim, *[]delivery) {
	s := newSim(t, sim.Config{Seed: 5, Link: link, KeepTrace: true})
	got := new([]delivery)
	_, err := s.AddNode("a", &burst{got: got})
	require.NoError(t, err)
	_, err = s.AddNode("b", &burst{got: got})
	require.NoError(t, err)
	return s, got
}

func seqs(ds []delivery) []int {
	var out []int
	for _, d := range ds {
		out = append(out, d.Seq)
	}
	return out
}

func TestLinksAreInOrderByDefault(t *testing.T) {
	s, got := receiverSim(t, sim.Link{Latency: sim.Uniform{Min: 0, Max: 10 * time.Millisecond}})
	sequence(s, 0, 1, 200, 0)
	s.RunUntilIdle(sim.At(time.Minute))
	require.Len(t, *got, 200)
	assert.True(t, slices.IsSorted(seqs(*got)), "a FIFO link delivers in sending order")
}

func TestReorder(t *testing.T) {
	s, got := receiverSim(t, sim.Link{Latency: sim.Uniform{Min: 0, Max: 10 * time.Millisecond}, Reorder: 1})
	sequence(s, 0, 1, 200, 0)
	s.RunUntilIdle(sim.At(time.Minute))
	require.Len(t, *got, 200)
	assert.False(t, slices.IsSorted(seqs(*got)), "messages may overtake each other")
}

func TestDropAndDuplicate(t *testing.T) {
	s, got := receiverSim(t, sim.Link{Drop: 1})
	sequence(s, 0, 1, 50, 0)
	s.RunUntilIdle(sim.At(time.Minute))
	assert.Empty(t, *got)

	s, got = receiverSim(t, sim.Link{Duplicate: 1})
	sequence(s, 0, 1, 50, 0)
	s.RunUntilIdle(sim.At(time.Minute))
	assert.Len(t, *got, 100)

	s, got = receiverSim(t, sim.Link{Drop: 0.3})
	sequence(s, 0, 1, 2000, 0)
	s.RunUntilIdle(sim.At(time.Minute))
	assert.InDelta(t, 1400, len(*got), 80)

	// Quiet switches random faults off.
	s, got = receiverSim(t, sim.Link{Drop: 1})
	s.Network().Quiet(true)
	sequence(s, 0, 1, 50, 0)
	s.RunUntilIdle(sim.At(time.Minute))
	assert.Len(t, *got, 50)
}

func TestBandwidth(t *testing.T) {
	s, got := receiverSim(t, sim.Link{Latency: sim.Constant(time.Millisecond), Bandwidth: 1000})
	sequence(s, 0, 1, 5, 500) // 500 bytes at 1000 B/s: one message every 500 ms
	s.RunUntilIdle(sim.At(time.Minute))
	require.Len(t, *got, 5)
	for i, d := range *got {
		assert.Equal(t, sim.At(time.Duration(i+1)*500*time.Millisecond+time.Millisecond), d.Received, "message %d", i+1)
	}
	// The other direction is a separate link, idle.
	s.At(s.Now(), func() { s.Inject(1, 0, ping{Seq: 99}, 500) })
	start := s.Now()
	s.RunUntilIdle(sim.At(time.Minute))
	assert.Equal(t, start.Add(501*time.Millisecond), (*got)[5].Received)
}

func TestPartitions(t *testing.T) {
	s, got := receiverSim(t, lan)
	_, err := s.AddNode("c", &burst{got: got})
	require.NoError(t, err)
	s.Partition([]int{0}, []int{1, 2})
	assert.False(t, s.Network().Connected(0, 1))
	assert.False(t, s.Network().Connected(1, 0))
	assert.True(t, s.Network().Connected(1, 2))
	sequence(s, 0, 1, 10, 0)
	sequence(s, 2, 1, 10, 0)
	s.RunUntilIdle(sim.At(time.Minute))
	assert.Len(t, *got, 10, "only c's messages cross no cut")
	for _, d := range *got {
		assert.Equal(t, 2, d.From)
	}

	// A message in flight when the cut appears is lost too.
	*got = nil
	s.Heal()
	s.At(s.Now(), func() { s.Inject(0, 1, ping{Seq: 1}, 0) })
	s.At(s.Now().Add(50*time.Microsecond), func() { s.Partition([]int{0}, []int{1}) })
	s.RunUntilIdle(sim.At(time.Minute))
	assert.Empty(t, *got)

	// A node named in no group (c here) still reaches both sides.
	assert.True(t, s.Network().Connected(2, 0))
	assert.True(t, s.Network().Connected(1, 2))
	assert.False(t, s.Network().Connected(1, 0))

	// One-way: 0 → 1 cut, 1 → 0 open.
	s.Heal()
	s.Block(0, 1)
	sequence(s, 0, 1, 3, 0)
	sequence(s, 1, 0, 3, 0)
	s.RunUntilIdle(sim.At(2 * time.Minute))
	require.Len(t, *got, 3)
	assert.Equal(t, 1, (*got)[0].From)

	var b bytes.Buffer
	require.NoError(t, s.Trace().WriteText(&b))
	assert.Contains(t, b.String(), "partition [[a] [b c]]")
	assert.Contains(t, b.String(), "block a -> b")
	assert.Contains(t, b.String(), "partitioned")
}

// TestRetransmit: with Config.Retransmit a message that meets a cut is sent again on
// Linux's RTO schedule (200 ms, 400 ms, 800 ms, ...) and arrives after the heal, ahead of
// what was sent after it; a dead sender's retransmissions stop.
func TestRetransmit(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 5, Link: sim.Link{Latency: sim.Constant(time.Millisecond)}, KeepTrace: true, Retransmit: true})
	got := new([]delivery)
	for _, name := range []string{"a", "b"} {
		_, err := s.AddNode(name, &burst{got: got})
		require.NoError(t, err)
	}
	s.Partition([]int{0}, []int{1})
	s.At(0, func() { s.Inject(0, 1, ping{Seq: 1}, 0) })
	// Attempts at 1 ms, 201 ms, 601 ms, 1401 ms: the heal at 1 s lets the fourth through.
	s.At(sim.At(time.Second), s.Heal)
	s.At(sim.At(1100*time.Millisecond), func() { s.Inject(0, 1, ping{Seq: 2}, 0) })
	s.RunUntilIdle(sim.At(time.Minute))
	require.Equal(t, []int{1, 2}, seqs(*got), "in order, none lost")
	assert.Equal(t, sim.At(1401*time.Millisecond), (*got)[0].Received)
	assert.Equal(t, sim.At(1401*time.Millisecond), (*got)[1].Received, "the later message waits behind the retransmitted one")

	// The sender crashes: nothing it had in retransmission arrives.
	*got = nil
	s.Partition([]int{0}, []int{1})
	s.At(s.Now(), func() { s.Inject(0, 1, ping{Seq: 3}, 0) })
	s.At(s.Now().Add(500*time.Millisecond), func() { s.Crash(0) })
	s.At(s.Now().Add(time.Second), s.Heal)
	s.RunUntilIdle(sim.At(2 * time.Minute))
	assert.Empty(t, *got)

	// Without Retransmit, the message is lost.
	s2, got2 := receiverSim(t, lan)
	s2.Partition([]int{0}, []int{1})
	sequence(s2, 0, 1, 1, 0)
	s2.At(sim.At(time.Second), s2.Heal)
	s2.RunUntilIdle(sim.At(time.Minute))
	assert.Empty(t, *got2)
}

func TestPauseHoldsMessagesAndTimers(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1, Link: sim.Link{Latency: sim.Constant(time.Millisecond)}})
	var got []delivery
	cs := addChatters(t, s, 2, 10*time.Millisecond, &got)
	s.At(sim.At(95*time.Millisecond), func() { s.Pause(1) })
	s.At(sim.At(500*time.Millisecond), func() { s.Resume(1) })
	s.RunUntil(sim.At(400 * time.Millisecond))
	assert.True(t, s.Paused(1))
	ticksWhilePaused := len(cs[1].draws)
	assert.Equal(t, 9, ticksWhilePaused, "no timer fires while paused")
	var toB int
	for _, d := range got {
		if d.To == 1 {
			toB++
		}
	}
	s.RunUntil(sim.At(501 * time.Millisecond))
	var toBAfter int
	for _, d := range got {
		if d.To == 1 {
			toBAfter++
			if d.Received >= sim.At(95*time.Millisecond) && d.SentAt < sim.At(499*time.Millisecond) {
				assert.Equal(t, sim.At(500*time.Millisecond), d.Received, "held until resume")
			}
		}
	}
	assert.Greater(t, toBAfter, toB, "nothing sent to the paused node was lost")
	assert.Equal(t, 10, len(cs[1].draws), "the pending timer fires once at resume")
}

func TestCrashAndRestart(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1, Link: sim.Link{Latency: sim.Constant(5 * time.Millisecond)}, KeepTrace: true})
	var got []delivery
	cs := addChatters(t, s, 2, 10*time.Millisecond, &got)
	s.At(sim.At(102*time.Millisecond), func() { s.Crash(1) })
	s.RunUntil(sim.At(300 * time.Millisecond))
	assert.False(t, s.Up(1))
	assert.Equal(t, 10, len(cs[1].draws), "a crashed node's timers never fire")
	for _, d := range got {
		if d.To == 1 {
			assert.Less(t, d.Received, sim.At(102*time.Millisecond), "messages to a crashed node are lost")
		}
	}
	fresh := &chatter{n: 2, period: 10 * time.Millisecond, got: &got}
	s.Restart(1, fresh)
	s.RunUntil(sim.At(400 * time.Millisecond))
	assert.True(t, s.Up(1))
	assert.Equal(t, 1, fresh.starts)
	assert.Len(t, fresh.draws, 10)
	assert.Same(t, fresh, s.Node(1))
	var b bytes.Buffer
	require.NoError(t, s.Trace().WriteText(&b))
	assert.Contains(t, b.String(), "crash")
	assert.Contains(t, b.String(), "node down")
	assert.Contains(t, b.String(), "restart")
}

func TestClockOffset(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1})
	var got []delivery
	addChatters(t, s, 2, 10*time.Millisecond, &got)
	s.SetClockOffset(0, time.Hour)
	s.RunUntil(sim.At(25 * time.Millisecond))
	assert.Equal(t, sim.At(time.Hour+25*time.Millisecond), s.Clock(0))
	for _, d := range got {
		if d.From == 0 && d.SentAt > 0 {
			assert.Greater(t, d.SentAt, sim.At(time.Hour), "node 0 stamps with its own clock")
		}
	}
}

func TestErrors(t *testing.T) {
	_, err := sim.New(sim.Config{Link: sim.Link{Drop: 2}})
	assert.EqualError(t, err, "sim: drop probability 2 is not in [0, 1]")
	_, err = sim.New(sim.Config{Link: sim.Link{Reorder: math.NaN()}})
	assert.EqualError(t, err, "sim: reorder probability NaN is not in [0, 1]")
	_, err = sim.New(sim.Config{Link: sim.Link{Bandwidth: -1}})
	assert.EqualError(t, err, "sim: bandwidth -1 bytes/s must be finite and at least 0")
	s := newSim(t, sim.Config{})
	_, err = s.AddNode("", &burst{})
	assert.EqualError(t, err, "sim: a node needs a name")
	_, err = s.AddNode("x", &burst{})
	require.NoError(t, err)
	_, err = s.AddNode("x", &burst{})
	assert.EqualError(t, err, `sim: a node named "x" already exists`)
	assert.EqualError(t, s.Network().SetLink(0, 0, sim.Link{Duplicate: -0.1}), "sim: duplicate probability -0.1 is not in [0, 1]")
	assert.PanicsWithValue(t, "sim: x sent a message to node 7, which does not exist", func() { s.Inject(0, 7, ping{}, 0) })
}

func TestChromeTrace(t *testing.T) {
	_, _, s := stormy(t, 3, true)
	var b bytes.Buffer
	require.NoError(t, s.Trace().WriteChrome(&b))
	var doc struct {
		TraceEvents []struct {
			Name string  `json:"name"`
			Ph   string  `json:"ph"`
			Ts   float64 `json:"ts"`
			ID   uint64  `json:"id"`
		} `json:"traceEvents"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	phases := map[string]int{}
	for _, e := range doc.TraceEvents {
		phases[e.Ph]++
	}
	assert.Equal(t, 9, phases["M"], "one named track per node, and one for the network")
	assert.Greater(t, phases["s"], 100, "flow starts at sends")
	assert.Greater(t, phases["f"], 100, "flow ends at deliveries")
	assert.Equal(t, len(s.Trace().Records()), phases["X"])
}

// caller dials node dial at Start (if dial >= 0) and records what comes back.
type caller struct {
	dial int
	got  []any
}

func (c *caller) Start(ctx *sim.Context) {
	if c.dial >= 0 {
		ctx.SendOrBounce(c.dial, "connect", 0)
	}
}
func (c *caller) Timer(*sim.Context, sim.Timer) {}
func (c *caller) Step(ctx *sim.Context, from int, msg any) {
	c.got = append(c.got, msg)
	if msg == "connect" {
		ctx.Send(from, "accepted", 0)
	}
}

func TestBounceAndHangup(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1, Link: sim.Link{Latency: sim.Constant(time.Millisecond)}, Hangups: true})
	_, err := s.AddNode("listener", &caller{dial: -1})
	require.NoError(t, err)
	s.Crash(0)
	dialer := &caller{dial: 0}
	_, err = s.AddNode("dialer", dialer)
	require.NoError(t, err)
	s.RunFor(10 * time.Millisecond)
	assert.Equal(t, []any{sim.Bounced{Msg: "connect"}}, dialer.got, "a connect to a dead node comes back")

	// Up again: the connect is accepted; then the listener crashes and the dialer hears the hangup.
	s.Restart(0, &caller{dial: -1})
	s.Restart(1, dialer)
	s.RunFor(10 * time.Millisecond)
	assert.Equal(t, []any{sim.Bounced{Msg: "connect"}, "accepted"}, dialer.got)
	s.Crash(0)
	s.RunFor(10 * time.Millisecond)
	assert.Equal(t, sim.Hangup{}, dialer.got[len(dialer.got)-1])

	// Across a partition neither a bounce nor a hangup arrives.
	s.Restart(0, &caller{dial: -1})
	s.Partition([]int{0}, []int{1})
	n := len(dialer.got)
	s.Crash(0)
	s.Restart(1, dialer)
	s.RunFor(10 * time.Millisecond)
	assert.Len(t, dialer.got, n, "nothing crosses the cut")
}

// Times saturate instead of overflowing: After a delay past the end of time never fires,
// and RunFor such a span does move the clock (both used to wrap to the past: the action
// fired at once and the clock stood still).
func TestTimeSaturates(t *testing.T) {
	assert.Equal(t, sim.MaxTime, sim.Time(time.Hour).Add(time.Duration(math.MaxInt64)))
	assert.Equal(t, sim.MaxTime, sim.MaxTime.Add(time.Nanosecond))
	assert.Equal(t, sim.Time(math.MinInt64), sim.Time(-time.Hour).Add(time.Duration(math.MinInt64)))
	assert.Equal(t, sim.Time(3), sim.Time(1).Add(2))
	s, err := sim.New(sim.Config{Seed: 1})
	require.NoError(t, err)
	s.RunFor(time.Hour)
	fired := false
	s.After(time.Duration(math.MaxInt64), func() { fired = true })
	s.RunFor(time.Hour)
	assert.False(t, fired, "a delay past the end of time fired")
	assert.Equal(t, sim.Time(2*time.Hour), s.Now())
	s.RunFor(time.Duration(math.MaxInt64))
	assert.Equal(t, sim.MaxTime, s.Now(), "RunFor past the end of time stops at its end")
}

// Bad arguments to the engine are refused or ignored by one rule, never a panic: a nil
// node or a bad latency is an error, a nil action schedules nothing, and an index that
// names no node is ignored by the fault methods and refused by SetLink.
func TestEngineRefusesBadArguments(t *testing.T) {
	for _, tc := range []struct {
		link sim.Link
		err  string
	}{
		{sim.Link{Latency: sim.Uniform{Min: 5 * time.Millisecond, Max: time.Millisecond}}, "sim: latency uniform(5ms, 1ms): Max is below Min"},
		{sim.Link{Latency: sim.Uniform{Min: -time.Millisecond, Max: time.Millisecond}}, "sim: latency uniform(-1ms, 1ms): Min is negative"},
		{sim.Link{Latency: sim.Constant(-1)}, "sim: latency -1ns is negative"},
		{sim.Link{Latency: sim.LogNormal{Median: time.Millisecond, Sigma: math.NaN()}}, "sim: latency lognormal(median 1ms, σ NaN): σ must be finite and at least 0"},
		{sim.Link{Latency: sim.LogNormal{Median: -time.Millisecond, Sigma: 1}}, "sim: latency lognormal(median -1ms, σ 1): the median is negative"},
	} {
		_, err := sim.New(sim.Config{Seed: 1, Link: tc.link})
		assert.EqualError(t, err, tc.err)
	}
	s, err := sim.New(sim.Config{Seed: 1})
	require.NoError(t, err)
	_, err = s.AddNode("x", nil)
	assert.EqualError(t, err, `sim: node "x" is nil`)
	s.At(1, nil)
	s.RunFor(time.Second)
	assert.NotPanics(t, func() {
		s.Crash(5)
		s.Pause(-1)
		s.Resume(7)
		s.Restart(3, nil)
		s.SetClockOffset(9, time.Second)
		s.Partition([]int{5}, []int{-2})
		s.Block(4, 8)
	})
	assert.False(t, s.Up(5))
	assert.Nil(t, s.Node(5))
	assert.Equal(t, s.Now(), s.Clock(5))
	assert.EqualError(t, s.Network().SetLink(0, 3, sim.Link{}), "sim: link 0 → 3: no such node among the 0")
}

// worker is a node whose every message costs it work: it answers each ping after
// working for cost, and records when each reached it.
type worker struct {
	cost time.Duration
	got  []sim.Time
}

func (w *worker) Start(*sim.Context)            {}
func (w *worker) Timer(*sim.Context, sim.Timer) {}
func (w *worker) Step(ctx *sim.Context, from int, msg any) {
	w.got = append(w.got, ctx.Now)
	ctx.Busy(w.cost)
	ctx.Send(from, msg, 0)
}

func TestBusyHoldsEventsAndDelaysSends(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1})
	var got []delivery
	addChatters(t, s, 1, time.Hour, &got) // node 0: a chatter that only receives
	w := &worker{cost: 100 * time.Millisecond}
	_, err := s.AddNode("worker", w)
	require.NoError(t, err)
	for i := range 3 {
		s.At(sim.At(time.Duration(i)*10*time.Millisecond), func() { s.Inject(0, 1, ping{Seq: i}, 0) })
	}
	s.RunUntil(sim.At(time.Second))
	// The three pings reach the worker at 0, 10 and 20 ms; each waits for the one before
	// to be worked off, in order, and each answer leaves when its work ends.
	assert.Equal(t, []sim.Time{0, sim.At(100 * time.Millisecond), sim.At(200 * time.Millisecond)}, w.got)
	require.Len(t, got, 3)
	for i, d := range got {
		assert.Equal(t, i, d.Seq)
		assert.Equal(t, sim.At(time.Duration(i+1)*100*time.Millisecond), d.Received)
	}
}

// With Config.Cores, nodes share the host's cores: three workers reached at once on two
// cores, each busy 100 ms, work two at a time, the third once a core comes free; what
// reaches a node while others wait for a core waits behind them, in order; and a node's
// own events still run one after another.
func TestCoresAreShared(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1, Cores: 2})
	var got []delivery
	addChatters(t, s, 1, time.Hour, &got) // node 0: a chatter that only receives
	var ws []*worker
	for i := range 3 {
		w := &worker{cost: 100 * time.Millisecond}
		_, err := s.AddNode(fmt.Sprint("worker", i), w)
		require.NoError(t, err)
		ws = append(ws, w)
	}
	for i := range 3 {
		s.At(0, func() { s.Inject(0, 1+i, ping{Seq: i}, 0) })
	}
	// Worker 2 gets a second ping while it waits: it handles both once it has a core, the
	// second after the first's work.
	s.At(sim.At(10*time.Millisecond), func() { s.Inject(0, 3, ping{Seq: 4}, 0) })
	// A second ping to worker 0 at 50 ms waits for worker 0 until 100; then both cores
	// come free, worker 2, which has waited since 0, takes the first and worker 0 the other.
	s.At(sim.At(50*time.Millisecond), func() { s.Inject(0, 1, ping{Seq: 3}, 0) })
	s.RunUntil(sim.At(time.Second))
	ms := func(d ...time.Duration) []sim.Time {
		var ts []sim.Time
		for _, x := range d {
			ts = append(ts, sim.At(x*time.Millisecond))
		}
		return ts
	}
	assert.Equal(t, ms(0, 100), ws[0].got)
	assert.Equal(t, ms(0), ws[1].got)
	assert.Equal(t, ms(100, 200), ws[2].got, "the third waits for a core")
	assert.Equal(t, 500*time.Millisecond, s.CoreTime())
	require.Len(t, got, 5)
	assert.Equal(t, sim.At(300*time.Millisecond), got[4].Received, "the batch's second answer leaves when its work ends")
	_, err := sim.New(sim.Config{Cores: -1})
	assert.EqualError(t, err, "sim: -1 cores: want 0 (a core per node) or more")
}

// A process killed with CrashClosing runs no more at once, but its peers hear its
// connections close only closeAfter later; what they send it meanwhile is lost unanswered.
// A Restart before then closes them first.
func TestCrashClosing(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1, Link: sim.Link{Latency: sim.Constant(time.Millisecond)}, Hangups: true})
	victim := &caller{dial: -1}
	_, err := s.AddNode("victim", victim)
	require.NoError(t, err)
	peer := &caller{dial: -1}
	_, err = s.AddNode("peer", peer)
	require.NoError(t, err)
	s.RunFor(time.Millisecond)

	s.CrashClosing(0, 20*time.Millisecond)
	s.Inject(1, 0, "ping", 0) // sent while the victim's sockets are still open
	s.RunFor(20 * time.Millisecond)
	assert.Empty(t, peer.got, "no hangup before the sockets close, and no answer")
	assert.Empty(t, victim.got, "a killed process handles nothing")
	s.RunFor(2 * time.Millisecond)
	assert.Equal(t, []any{sim.Hangup{}}, peer.got, "the hangup, a latency after the close")

	// Killed and started again before its sockets close: they close at the restart,
	// and the later close of the old process closes nothing of the new one's.
	s.Restart(0, victim)
	s.RunFor(time.Millisecond)
	peer.got = nil
	s.CrashClosing(0, 50*time.Millisecond)
	s.RunFor(5 * time.Millisecond)
	s.Restart(0, victim)
	s.RunFor(100 * time.Millisecond)
	assert.Equal(t, []any{sim.Hangup{}}, peer.got, "one hangup, at the restart")

	// CrashClosing with no delay is Crash.
	peer.got = nil
	s.CrashClosing(0, 0)
	s.RunFor(time.Millisecond)
	assert.Equal(t, []any{sim.Hangup{}}, peer.got)
}

// signalled records the timers it is handed.
type signalled struct{ got []sim.Time }

func (n *signalled) Start(*sim.Context)                  {}
func (n *signalled) Step(*sim.Context, int, any)         {}
func (n *signalled) Timer(ctx *sim.Context, _ sim.Timer) { n.got = append(n.got, ctx.Now) }

// Signal hands a node a timer now; a paused node takes it when it resumes, a down one
// never.
func TestSignal(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1})
	n := &signalled{}
	_, err := s.AddNode("n", n)
	require.NoError(t, err)
	s.At(sim.At(10*time.Millisecond), func() { s.Signal(0, sim.Timer{Kind: 1}) })
	s.At(sim.At(20*time.Millisecond), func() { s.Pause(0); s.Signal(0, sim.Timer{Kind: 1}) })
	s.At(sim.At(30*time.Millisecond), func() { s.Resume(0) })
	s.At(sim.At(40*time.Millisecond), func() { s.Crash(0); s.Signal(0, sim.Timer{Kind: 1}) })
	s.RunUntil(sim.At(time.Second))
	assert.Equal(t, []sim.Time{sim.At(10 * time.Millisecond), sim.At(30 * time.Millisecond)}, n.got)
	s.Signal(7, sim.Timer{Kind: 1}) // no such node: nothing
}

// redialer connects to node 0 again each time its connection to it ends, and records
// what it gets, with when.
type redialer struct {
	got []string
}

func (r *redialer) Start(*sim.Context)            {}
func (r *redialer) Timer(*sim.Context, sim.Timer) {}
func (r *redialer) Step(ctx *sim.Context, from int, msg any) {
	r.got = append(r.got, fmt.Sprintf("%v %T", time.Duration(ctx.Now), msg))
	if _, ok := msg.(sim.Hangup); ok && from == 0 {
		ctx.Dial(0, "connect")
	}
}

// A SIGKILLed process's sockets close one peer after another, the listening socket last
// (CrashTearingDown): a peer whose connection ended connects again, the listening socket
// completes it (Accepted), and resets it when it closes; after that a connect is
// refused (Bounced). A peer whose connection is among the last to close hears of it last.
func TestTeardown(t *testing.T) {
	s := newSim(t, sim.Config{Seed: 1, Link: sim.Link{Latency: sim.Constant(time.Millisecond)}, Hangups: true})
	_, err := s.AddNode("victim", &caller{dial: -1})
	require.NoError(t, err)
	early, late := &redialer{}, &redialer{}
	_, err = s.AddNode("early", early)
	require.NoError(t, err)
	_, err = s.AddNode("late", late)
	require.NoError(t, err)
	s.RunFor(time.Millisecond)
	start := time.Duration(s.Now())
	s.CrashTearingDown(0, sim.Teardown{Start: 5 * time.Millisecond, Span: 10 * time.Millisecond, Peer: func(j int) time.Duration {
		return time.Duration(j-1) * 20 * time.Millisecond // past the span: clamped to it
	}})
	s.RunFor(30 * time.Millisecond)
	at := func(d time.Duration) string { return (start + d).String() }
	assert.Equal(t, []string{
		at(6*time.Millisecond) + " sim.Hangup",   // its connection closed at 5 ms
		at(8*time.Millisecond) + " sim.Accepted", // its connect, accepted by the listening socket
		at(16*time.Millisecond) + " sim.Hangup",  // reset when that socket closed at 15 ms
		at(18*time.Millisecond) + " sim.Bounced", // refused from then on
	}, early.got)
	assert.Equal(t, at(16*time.Millisecond)+" sim.Hangup", late.got[0], "the last connection closes with the listening socket")

	// Restarted meanwhile, the process closes what is still open at once.
	s2 := newSim(t, sim.Config{Seed: 1, Link: sim.Link{Latency: sim.Constant(time.Millisecond)}, Hangups: true})
	_, err = s2.AddNode("victim", &caller{dial: -1})
	require.NoError(t, err)
	other := &redialer{}
	_, err = s2.AddNode("other", other)
	require.NoError(t, err)
	s2.CrashTearingDown(0, sim.Teardown{Start: 5 * time.Millisecond, Span: 10 * time.Millisecond, Peer: func(int) time.Duration { return 10 * time.Millisecond }})
	s2.RunFor(2 * time.Millisecond)
	s2.Restart(0, &caller{dial: -1})
	s2.RunFor(30 * time.Millisecond)
	require.NotEmpty(t, other.got)
	assert.Equal(t, "3ms sim.Hangup", other.got[0], "the restart closed the old connections")
	assert.Len(t, other.got, 2, "one hangup, and the new connect accepted by the new process: %v", other.got)
}
