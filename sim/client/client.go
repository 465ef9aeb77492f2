package client

import (
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/slot"
)

// An Outcome is how one application request ended.
type Outcome uint8

// Outcomes of a request.
const (
	Served     Outcome = iota + 1 // answered by the first node asked
	Redirected                    // answered after one or more MOVED or ASK redirects
	Failed                        // an error: CLUSTERDOWN, TRYAGAIN, timeout, refused, too many redirects
)

func (o Outcome) String() string {
	switch o {
	case Served:
		return "served"
	case Redirected:
		return "redirected"
	case Failed:
		return "failed"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// A Result is one application request's end: its reply, how it ended, where and when.
type Result struct {
	Reply     cluster.Reply
	Outcome   Outcome
	Redirects int
	Addr      string // the node that gave the final reply
	Sent, End sim.Time
}

// A ClusterClient is an application's cluster-aware connection, as the common client
// libraries behave: a slot cache filled from CLUSTER SLOTS, each command sent to the master
// the cache names, MOVED followed, written into the cache and followed by a reload of the
// whole map, ASK followed once with ASKING and not cached. A request that fails (a refused connection, a timeout, a
// CLUSTERDOWN) is reported as failed, not retried: retrying is the application's choice,
// and the failures are what unavailability is measured from. A failure schedules a refresh
// of the slot cache from another node, as go-redis's ClusterClient does after a node error.
type ClusterClient struct {
	c            *cluster.Cluster
	cl           *cluster.Client
	nodes        []string // addresses learnt so far, in the order learnt
	known        map[string]bool
	cache        [slot.Count]string
	Timeout      time.Duration // per request; 0 means 1 s
	MaxRedirects int           // 0 means 5
	refreshing   bool
	nextSeed     int

	// In a cluster with a Placement, the client builds the same partitioner from the
	// members CLUSTER SLOTS lists (one token each) instead of caching slots.
	place     cluster.Placement
	part      cluster.Partitioner
	tokenAddr map[int]string
}

// NewClusterClient returns a client that knows the nodes at seeds and has an empty slot
// cache; the first requests fill it from MOVED replies and the first refresh.
func NewClusterClient(c *cluster.Cluster, name string, seeds ...string) *ClusterClient {
	cc := &ClusterClient{c: c, cl: c.NewClient(name), known: map[string]bool{}, place: c.Placement}
	for _, s := range seeds {
		cc.learn(s)
	}
	return cc
}

func (cc *ClusterClient) learn(addr string) {
	if addr != "" && !cc.known[addr] {
		cc.known[addr] = true
		cc.nodes = append(cc.nodes, addr)
	}
}

func (cc *ClusterClient) timeout() time.Duration {
	if cc.Timeout > 0 {
		return cc.Timeout
	}
	return time.Second
}

func (cc *ClusterClient) maxRedirects() int {
	if cc.MaxRedirects > 0 {
		return cc.MaxRedirects
	}
	return 5
}

// Index returns the engine index of the client's process, for partitions.
func (cc *ClusterClient) Index() int { return cc.cl.Index() }

// Do sends a command about key (args[1] by convention, as for GET and SET) and calls done
// with its result once it is answered, redirected to the end, or has failed.
func (cc *ClusterClient) Do(done func(Result), args ...string) {
	key := ""
	if len(args) > 1 {
		key = args[1]
	}
	s := slot.Of(key)
	addr := cc.cache[s]
	if cc.part != nil {
		addr = cc.tokenAddr[cluster.TokenOf(cc.part, key)]
	}
	if addr == "" && len(cc.nodes) > 0 {
		addr = cc.nodes[s%len(cc.nodes)]
	}
	cc.send(Result{Sent: cc.c.Sim.Now()}, s, addr, false, args, done)
}

func (cc *ClusterClient) send(res Result, s int, addr string, asking bool, args []string, done func(Result)) {
	fail := func(r cluster.Reply) {
		res.Reply, res.Outcome, res.Addr, res.End = r, Failed, addr, cc.c.Sim.Now()
		cc.refresh(addr)
		done(res)
	}
	if addr == "" {
		fail(errorReply("no node known"))
		return
	}
	cc.cl.SendTimeout(addr, args, asking, cc.timeout(), func(r cluster.Reply) {
		if r.IsError() {
			f := strings.Fields(r.Str)
			if len(f) == 3 && (f[0] == "MOVED" || f[0] == "ASK") {
				if res.Redirects >= cc.maxRedirects() {
					fail(errorReply("too many redirects"))
					return
				}
				res.Redirects++
				cc.learn(f[2])
				if f[0] == "MOVED" {
					// The map changed: fix this slot now and reload the whole map in the
					// background, as go-redis (LazyReload) and Jedis (renewSlotCache) do,
					// so that the other moved slots do not each cost a redirect.
					cc.cache[s] = f[2]
					cc.refresh("")
				}
				cc.send(res, s, f[2], f[0] == "ASK", args, done)
				return
			}
			fail(r)
			return
		}
		res.Reply, res.Addr, res.End = r, addr, cc.c.Sim.Now()
		res.Outcome = Served
		if res.Redirects > 0 {
			res.Outcome = Redirected
		}
		done(res)
	})
}

// OpenLoop starts clients cluster-aware clients, their slot caches loaded as applications
// load them, that between them send rate requests per second at evenly spaced times,
// whatever the replies (open loop, as the many users of a web tier do), starting after
// start. send is called for each request with the client to send it on, and returns
// false once the load is over.
func OpenLoop(c *cluster.Cluster, seeds []string, clients int, rate float64, start time.Duration, send func(cc *ClusterClient) bool) {
	OpenLoopWith(c, clients, rate, start, func(i int) Doer {
		cc := NewClusterClient(c, "app-"+strconv.Itoa(i+1), seeds...)
		cc.Refresh()
		return cc
	}, func(d Doer) bool { return send(d.(*ClusterClient)) })
}

// A Doer is a simulated application client: ClusterClient, or GoRedis.
type Doer interface {
	Do(done func(Result), args ...string)
	Index() int
}

// OpenLoopWith is OpenLoop with the clients newClient makes (i from 0), loaded as the
// application loads them.
func OpenLoopWith(c *cluster.Cluster, clients int, rate float64, start time.Duration, newClient func(i int) Doer, send func(d Doer) bool) {
	interval := time.Duration(float64(time.Second) * float64(clients) / rate)
	for i := range clients {
		d := newClient(i)
		var tick func()
		tick = func() {
			if send(d) {
				c.Sim.After(interval, tick)
			}
		}
		// Clients start spread over one interval, so the requests are evenly spaced.
		c.Sim.After(start+interval*time.Duration(i)/time.Duration(clients), tick)
	}
}

// Refresh loads the slot cache from CLUSTER SLOTS in the background, as application
// clients (go-redis, Jedis, Lettuce) do when they connect; redis-cli -c does not, and a
// ClusterClient left alone fills its cache from MOVED replies and failures, as it does.
func (cc *ClusterClient) Refresh() { cc.refresh("") }

// refresh reloads the slot cache with CLUSTER SLOTS from a known node other than bad, one
// refresh at a time; a node that does not answer passes the turn to the next.
func (cc *ClusterClient) refresh(bad string) {
	if cc.refreshing || len(cc.nodes) == 0 {
		return
	}
	var addr string
	for range len(cc.nodes) {
		addr = cc.nodes[cc.nextSeed%len(cc.nodes)]
		cc.nextSeed++
		if addr != bad {
			break
		}
	}
	cc.refreshing = true
	cc.cl.SendTimeout(addr, []string{"CLUSTER", "SLOTS"}, false, cc.timeout(), func(r cluster.Reply) {
		cc.refreshing = false
		if r.Kind != cluster.Array {
			return
		}
		var tokens []int
		tokenAddr := map[int]string{}
		for _, rng := range r.Array {
			if len(rng.Array) < 3 || len(rng.Array[2].Array) < 2 {
				continue
			}
			master := rng.Array[2].Array[0].Str + ":" + strconv.FormatInt(rng.Array[2].Array[1].Int, 10)
			cc.learn(master)
			for _, rep := range rng.Array[3:] {
				if len(rep.Array) >= 2 {
					cc.learn(rep.Array[0].Str + ":" + strconv.FormatInt(rep.Array[1].Int, 10))
				}
			}
			for s := rng.Array[0].Int; s <= rng.Array[1].Int && s < slot.Count; s++ {
				cc.cache[s] = master
				if cc.place != nil {
					tokens = append(tokens, int(s))
					tokenAddr[int(s)] = master
				}
			}
		}
		if cc.place != nil {
			if part, err := cc.place.Build(tokens); err == nil {
				cc.part, cc.tokenAddr = part, tokenAddr
			}
		}
	})
}

func errorReply(s string) cluster.Reply { return cluster.Reply{Kind: cluster.Error, Str: s} }
