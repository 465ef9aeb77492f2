package client

import (
	"strconv"
	"time"

	"github.com/kvplace/kvplace/sim"
	"github.com/kvplace/kvplace/sim/cluster"
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

// OpenLoop starts clients simulated go-redis clients (GoRedis) with options opt that know
// seeds, their slot maps loaded as an application's are, that between them send rate
// requests per second at evenly spaced times, whatever the replies (open loop, as the many
// users of a web tier do), starting after start. send is called for each request with the
// client to send it on, and returns false once the load is over.
func OpenLoop(c *cluster.Cluster, seeds []string, opt Options, clients int, rate float64, start time.Duration, send func(g *GoRedis) bool) {
	OpenLoopWith(c, clients, rate, start, func(i int) Doer {
		g := NewGoRedis(c, "app-"+strconv.Itoa(i+1), opt, seeds...)
		g.Load()
		return g
	}, func(d Doer) bool { return send(d.(*GoRedis)) })
}

// A Doer is a simulated application client, such as GoRedis.
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

func errorReply(s string) cluster.Reply { return cluster.Reply{Kind: cluster.Error, Str: s} }
