package live

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/kvplace/kvplace/slot"
)

// A FailoverRun is one real failover: times from a master's SIGKILL until a surviving master
// first shows it "fail?", until a node first shows it "fail", and until its replica answers
// ROLE with "master". Zero means not seen within the observation window.
type FailoverRun struct {
	NodeTimeout time.Duration
	PFail       time.Duration
	Fail        time.Duration
	Promoted    time.Duration
	// LastPFail is when the last surviving master came to suspect it: showed it "fail?",
	// or "fail" without having been seen to suspect it first. FAIL needs a majority of the
	// masters' suspicions, so with two surviving masters it cannot come before this.
	LastPFail time.Duration
	// OthersDown and OthersUp bound the stretch in which another master refused a read of
	// its own slot with CLUSTERDOWN (cluster-require-full-coverage: while a slot's master is
	// FAIL and not yet replaced, every node is down); zero when it never refused.
	OthersDown, OthersUp time.Duration
	// Replica is the address of the replica that was promoted, if one was.
	Replica string
}

// MeasureFailover builds a real 3-master, 3-replica cluster on loopback with redis-cli,
// waits for the replicas' first synchronisation, kills the first master with SIGKILL and
// polls every node over persistent connections every millisecond or so, which is far finer
// than spawning redis-cli for each look. dir holds the servers' files; ports must be 6 free
// port pairs (see FreePorts).
func MeasureFailover(dir string, ports []int, nodeTimeout time.Duration, observe time.Duration) (FailoverRun, error) {
	c, err := StartCluster(ClusterSpec{Dir: dir, Ports: ports, Masters: 3, Replicas: 1, Args: []string{"--cluster-node-timeout", fmt.Sprint(nodeTimeout.Milliseconds())}})
	if err != nil {
		return FailoverRun{NodeTimeout: nodeTimeout}, err
	}
	defer c.Close()
	// Let the post-sync pings settle into their rhythm, then wait a random part of a second
	// more: the half-node-timeout pings keep the phase they had when the links came up, and
	// without it the kill would land at nearly the same point of that rhythm every trial
	// (the last pong before the kill clustered at about -170 and -360 ms in 15 trials), and
	// the PFAIL times, which follow the first unanswered ping, with it. The simulation draws
	// its kill time uniformly over a second for the same reason.
	time.Sleep(2*time.Second + time.Duration(rand.Int64N(int64(time.Second))))
	victim := c.Servers[0]
	return c.WatchFailover(victim, victim.Kill, nodeTimeout, observe)
}

// WatchFailover takes victim, a master, away by calling fault, and polls every other node
// over persistent connections until the cluster has flagged it PFAIL and FAIL and
// promoted one of its replicas, and other masters serve again, or until observe has
// passed. Times are from the moment fault returned.
func (c *Cluster) WatchFailover(victim *Server, fault func() error, nodeTimeout, observe time.Duration) (FailoverRun, error) {
	run := FailoverRun{NodeTimeout: nodeTimeout}
	id, err := String(victim.Do("CLUSTER", "MYID"))
	if err != nil {
		return run, err
	}
	replicas := c.ReplicasOf(victim)
	var conns, rcs []*Conn
	var rservers []*Server // the server behind each of rcs
	for _, s := range c.Servers {
		if s == victim {
			continue
		}
		conn, err := Dial(s.Addr(), time.Second)
		if err != nil {
			return run, err
		}
		defer conn.Close()
		conns = append(conns, conn)
		if slices.Contains(replicas, s) {
			rcs = append(rcs, conn)
			rservers = append(rservers, s)
		}
	}
	if len(rcs) == 0 {
		observe = min(observe, 3*nodeTimeout) // nothing to promote: FAIL is all there is
	}

	// A surviving master that serves "k1" (slot 12706) itself, asked about it to see
	// whether it serves while the victim is FAIL (cluster-require-full-coverage).
	var other *Conn
	for _, conn := range conns {
		if r, err := conn.Do("GET", "k1"); err == nil {
			if _, refused := r.(Error); !refused {
				other = conn
				break
			}
		}
	}

	// The surviving masters, before the fault (the promoted replica is one afterwards).
	masters := map[*Conn]bool{}
	for _, conn := range conns {
		if answersMaster(conn) {
			masters[conn] = true
		}
	}

	// Times count from the fault's start: a SIGKILL takes effect at once, but Kill returns
	// only once the process is reaped, milliseconds later.
	start := time.Now()
	if err := fault(); err != nil {
		return run, err
	}
	suspected := map[*Conn]time.Duration{}
	done := func() bool {
		return run.PFail != 0 && run.Fail != 0 && (run.Promoted != 0 || len(rcs) == 0) && (run.OthersDown == 0 || run.OthersUp != 0)
	}
	for time.Since(start) < observe && !done() {
		if other != nil {
			if r, err := other.Do("GET", "k1"); err == nil {
				now := time.Since(start)
				if e, ok := r.(Error); ok && strings.HasPrefix(string(e), "CLUSTERDOWN") {
					if run.OthersDown == 0 {
						run.OthersDown = now
					}
				} else if run.OthersDown != 0 && run.OthersUp == 0 {
					run.OthersUp = now
				}
			}
		}
		for _, conn := range conns {
			text, err := String(conn.Do("CLUSTER", "NODES"))
			if err != nil {
				continue
			}
			nodes, err := slot.ParseNodes(text)
			if err != nil {
				continue
			}
			isMaster := slices.ContainsFunc(nodes, func(n slot.NodeLine) bool { return n.Has("myself") && n.Has("master") })
			for _, n := range nodes {
				if n.ID != id {
					continue
				}
				now := time.Since(start)
				if n.Has("fail?") && isMaster && run.PFail == 0 {
					run.PFail = now
				}
				if (n.Has("fail?") || n.Has("fail")) && masters[conn] && suspected[conn] == 0 {
					suspected[conn] = now
				}
				// Exactly "fail": "fail?" is only a suspicion, and a replica's
				// suspicion would otherwise count as the cluster's verdict.
				if n.Has("fail") && run.Fail == 0 {
					run.Fail = now
				}
			}
		}
		if run.Promoted == 0 {
			for i, rc := range rcs {
				if answersMaster(rc) {
					run.Promoted = time.Since(start)
					run.Replica = rservers[i].Addr()
					break
				}
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
	if len(masters) > 0 && len(suspected) == len(masters) {
		for _, d := range suspected {
			run.LastPFail = max(run.LastPFail, d)
		}
	}
	return run, nil
}

// answersMaster reports whether the server behind c answers ROLE with "master".
func answersMaster(c *Conn) bool {
	r, err := c.Do("ROLE")
	arr, ok := r.([]any)
	return err == nil && ok && len(arr) > 0 && arr[0] == "master"
}
