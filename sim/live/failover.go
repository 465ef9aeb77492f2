package live

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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
}

// MeasureFailover builds a real 3-master, 3-replica cluster on loopback with redis-cli,
// waits for the replicas' first synchronisation, kills the first master with SIGKILL and
// polls every node over persistent connections every millisecond or so, which is far finer
// than spawning redis-cli for each look. dir holds the servers' files; ports must be 6 free
// port pairs (see FreePorts).
func MeasureFailover(dir string, ports []int, nodeTimeout time.Duration, observe time.Duration) (FailoverRun, error) {
	run := FailoverRun{NodeTimeout: nodeTimeout}
	var servers []*Server
	defer func() {
		for _, s := range servers {
			_ = s.Kill()
		}
	}()
	for _, p := range ports[:6] {
		s := &Server{Port: p, Dir: filepath.Join(dir, fmt.Sprint(p)), Args: []string{"--cluster-node-timeout", fmt.Sprint(nodeTimeout.Milliseconds())}}
		if err := os.RemoveAll(s.Dir); err != nil {
			return run, err
		}
		if err := s.Start(); err != nil {
			return run, err
		}
		servers = append(servers, s)
	}
	args := []string{"--cluster", "create"}
	for _, s := range servers {
		args = append(args, s.Addr())
	}
	if out, err := CLI(append(args, "--cluster-replicas", "1", "--cluster-yes")...); err != nil {
		return run, fmt.Errorf("create: %v\n%s", err, out)
	}
	victim := servers[0]
	id, err := String(victim.Do("CLUSTER", "MYID"))
	if err != nil {
		return run, err
	}
	// Wait for every replica to finish its first sync (offset > 0 in CLUSTER SLOTS terms).
	var replica *Server
	deadline := time.Now().Add(60 * time.Second)
	for {
		synced := 0
		for _, s := range servers[3:] {
			info, err := String(s.Do("INFO", "replication"))
			if err == nil && strings.Contains(info, "master_link_status:up") {
				synced++
				if strings.Contains(info, fmt.Sprintf("master_port:%d", victim.Port)) {
					replica = s
				}
			}
		}
		if synced == 3 && replica != nil {
			break
		}
		if time.Now().After(deadline) {
			return run, fmt.Errorf("replicas did not sync within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Let the post-sync pings settle into their rhythm, then wait a random part of a second
	// more: the half-node-timeout pings keep the phase they had when the links came up, and
	// without it the kill would land at nearly the same point of that rhythm every trial
	// (the last pong before the kill clustered at about -170 and -360 ms in 15 trials), and
	// the PFAIL times, which follow the first unanswered ping, with it. The simulation draws
	// its kill time uniformly over a second for the same reason.
	time.Sleep(2*time.Second + time.Duration(rand.Int64N(int64(time.Second))))
	var conns []*Conn
	for _, s := range servers[1:] {
		c, err := Dial(s.Addr(), time.Second)
		if err != nil {
			return run, err
		}
		defer c.Close()
		conns = append(conns, c)
	}
	rc, err := Dial(replica.Addr(), time.Second)
	if err != nil {
		return run, err
	}
	defer rc.Close()

	// A surviving master, asked about a key of its own slots ("k1" is in slot 12706, the
	// third master's), to see whether it serves while the victim is FAIL.
	other := conns[1]

	// The surviving masters, before the kill (the promoted replica is one afterwards).
	masters := map[*Conn]bool{}
	for _, c := range conns {
		if answersMaster(c) {
			masters[c] = true
		}
	}

	if err := victim.Kill(); err != nil {
		return run, err
	}
	start := time.Now()
	suspected := map[*Conn]time.Duration{}
	for time.Since(start) < observe && (run.PFail == 0 || run.Fail == 0 || run.Promoted == 0 || (run.OthersDown != 0 && run.OthersUp == 0)) {
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
		for _, c := range conns {
			text, err := String(c.Do("CLUSTER", "NODES"))
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
				if (n.Has("fail?") || n.Has("fail")) && masters[c] && suspected[c] == 0 {
					suspected[c] = now
				}
				// Exactly "fail": "fail?" is only a suspicion, and a replica's
				// suspicion would otherwise count as the cluster's verdict.
				if n.Has("fail") && run.Fail == 0 {
					run.Fail = now
				}
			}
		}
		if run.Promoted == 0 {
			if answersMaster(rc) {
				run.Promoted = time.Since(start)
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
