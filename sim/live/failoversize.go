package live

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrSetup wraps MeasureSizedFailover's failures to start the cluster, before any fault:
// a recorder may try again.
var ErrSetup = errors.New("live: the cluster did not come up")

// A SizedFailover is one real failover measured on a cluster of many nodes, by
// MeasureSizedFailover. Times are from the kill; 0 means it was not seen.
type SizedFailover struct {
	Masters     int
	NodeTimeout time.Duration
	Fault       string        // kill, kill2 or kill-pair
	PFail       time.Duration // a surviving master first shows the victim "fail?" (polled)
	Fail        time.Duration // the first node logs the victim failing (quorum reached)
	Promoted    time.Duration // the victim's replica logs winning the election
	OK          time.Duration // the last surviving node logs "Cluster state changed: ok"
	// Closed is when the first victim's connections closed: the end of file on a client
	// connection the recorder held open to it. From the SIGKILL on the process runs no
	// more, but until then the kernel holds its sockets open: what other nodes send it is
	// taken in and never answered, and no node sees a link close.
	Closed time.Duration
	// FirstPing, with MeasureSizedFailover's readPings, is when the first surviving master
	// pinged the first victim after its last pong from it (ping_sent, read from each
	// master's CLUSTER NODES before any could flag PFAIL); Pinged counts the masters that
	// had. A master flags PFAIL a node timeout after its ping, at its cron's next tick.
	// FirstPing is negative when a ping sent before the kill went unanswered.
	FirstPing time.Duration
	Pinged    int
	// PollEvery is the longest time between two polls of one master while PFAIL was
	// awaited: PFail is late by up to that much.
	PollEvery time.Duration
	// CPUBusy is the share of the host's CPU time, all cores, that was not idle from the
	// kill to the end of the watch: the servers' own work, the watch's and anything else.
	CPUBusy float64
}

// MeasureSizedFailover starts masters masters with a replica each on ports (2·masters of
// them) in dir, lets the cluster run for 15 s and a random part of a second after every
// replica has synchronised (the time that first synchronisation takes, 8 to 50 s after the
// create at 60 masters, spreads the kill over the nodes' ping period; a simulated kill is
// drawn over that period, experiments.killPhaseWindow), and SIGKILLs the first master
// ("kill"), the first two masters ("kill2") or the first master and its replica
// ("kill-pair"). The times are about the first master. It watches until every surviving
// node says cluster_state:ok again (kill-pair: until a node marked the master FAIL, and
// three node timeouts), or until 10 node timeouts and 10 s have passed.
//
// The watch is kept light, since on a small host the servers' own gossip is already a
// load, and a poll of every node every millisecond, as WatchFailover does on 6 nodes,
// would be a larger one. FAIL, the promotion and the return to ok are read afterwards
// from the servers' logs, which stamp them to the millisecond (Redis logs them at the
// default level). Only PFAIL, which Redis logs at debug level alone, is polled: no
// master can flag it before a node timeout has passed since the kill (the ping it
// times out was sent after the kill, or was answered), so the polls of the surviving
// masters' CLUSTER NODES start then, one master after another, and stop at the first
// "fail?".
//
// With readPings, it also reads every surviving master's CLUSTER NODES once, from
// nodeTimeout less a second after the kill (half a node timeout, below 2 s), for when
// each first pinged the victim (FirstPing): the ping whose timeout is the PFAIL. That is
// one more poll per master, before the PFAIL polls.
func MeasureSizedFailover(dir string, ports []int, masters int, nodeTimeout time.Duration, fault string, readPings bool) (SizedFailover, error) {
	run := SizedFailover{Masters: masters, NodeTimeout: nodeTimeout, Fault: fault}
	if fault != "kill" && fault != "kill2" && fault != "kill-pair" {
		return run, fmt.Errorf("live: fault %q: want kill, kill2 or kill-pair", fault)
	}
	c, err := StartCluster(ClusterSpec{Dir: dir, Ports: ports, Masters: masters, Replicas: 1,
		Args: []string{"--cluster-node-timeout", strconv.FormatInt(nodeTimeout.Milliseconds(), 10)}})
	if err != nil {
		return run, fmt.Errorf("%w: %w", ErrSetup, err)
	}
	defer c.Close()
	time.Sleep(15*time.Second + time.Duration(rand.Int64N(int64(time.Second))))

	victim := c.Servers[0]
	id, err := String(victim.Do("CLUSTER", "MYID"))
	if err != nil {
		return run, err
	}
	replicas := c.ReplicasOf(victim)
	killed := []*Server{victim}
	switch fault {
	case "kill2":
		killed = append(killed, c.Servers[1])
	case "kill-pair":
		killed = append(killed, replicas...)
	}
	var others, survivingMasters []*Conn
	for i, s := range c.Servers {
		if slices.Contains(killed, s) {
			continue
		}
		conn, err := Dial(s.Addr(), 2*time.Second)
		if err != nil {
			return run, err
		}
		defer conn.Close()
		others = append(others, conn)
		if i < masters {
			survivingMasters = append(survivingMasters, conn)
		}
	}
	// A connection of our own to the first victim, idle, tells when its sockets close.
	watch, err := net.DialTimeout("tcp", victim.Addr(), 2*time.Second)
	if err != nil {
		return run, err
	}
	defer watch.Close()
	closed := WatchClose(watch)
	before, err := ReadCPU()
	if err != nil {
		return run, err
	}
	// Times count from the SIGKILL: the process runs no more from then on. Kill returns
	// only once the process is reaped, 5 to 40 ms later on this project's 2-core machine
	// with 60 to 120 servers on it; timing from its return made every phase look that
	// much shorter (the recordings made before 2026-12-06's evening were).
	at := time.Now()
	for _, s := range killed {
		if err := s.Kill(); err != nil {
			return run, err
		}
	}
	deadline := at.Add(10*nodeTimeout + 10*time.Second)
	select {
	case t := <-closed:
		run.Closed = t.Sub(at)
	case <-time.After(time.Second):
		return run, fmt.Errorf("live: %s's connections were still open a second after its SIGKILL", victim.Addr())
	}

	if readPings {
		time.Sleep(time.Until(at.Add(nodeTimeout - min(time.Second, nodeTimeout/2))))
		if err := readFirstPing(&run, survivingMasters, id, at); err != nil {
			return run, err
		}
	}
	time.Sleep(time.Until(at.Add(nodeTimeout - 50*time.Millisecond)))
	round := time.Now()
	for i := 0; run.PFail == 0 && time.Now().Before(deadline); i++ {
		if i%len(survivingMasters) == 0 {
			run.PollEvery = max(run.PollEvery, time.Since(round))
			round = time.Now()
		}
		text, err := String(survivingMasters[i%len(survivingMasters)].Do("CLUSTER", "NODES"))
		if err != nil {
			return run, err
		}
		if flags, ok := FlagsOf(text, id); ok && (flags["fail?"] || flags["fail"]) {
			run.PFail = time.Since(at)
		}
	}

	// Then the replica's role, every 20 ms, until it is master; then every surviving
	// node's cluster_state, every 100 ms, until all are ok again.
	if fault == "kill-pair" {
		// Nothing will be promoted and the cluster stays down: give FAIL its time.
		time.Sleep(time.Until(at.Add(3 * nodeTimeout)))
		replicas = nil
	}
	var rconns []*Conn
	for _, r := range replicas {
		conn, err := Dial(r.Addr(), 2*time.Second)
		if err != nil {
			return run, err
		}
		defer conn.Close()
		rconns = append(rconns, conn)
	}
	for promoted := len(rconns) == 0; !promoted && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		for _, conn := range rconns {
			promoted = promoted || answersMaster(conn)
		}
	}
	for ok := fault == "kill-pair"; !ok && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		ok = true
		for _, conn := range others {
			info, err := String(conn.Do("CLUSTER", "INFO"))
			if err != nil {
				return run, err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				ok = false
				break
			}
		}
	}
	after, err := ReadCPU()
	if err != nil {
		return run, err
	}
	run.CPUBusy = after.BusySince(before)

	for _, s := range c.Servers {
		if slices.Contains(killed, s) {
			continue
		}
		lines, err := ReadLog(filepath.Join(s.Dir, "redis.log"))
		if err != nil {
			return run, err
		}
		isReplica := false
		for _, r := range replicas {
			isReplica = isReplica || r == s
		}
		for _, l := range lines {
			d := l.At.Sub(at)
			if d < 0 {
				continue
			}
			switch {
			case MarksFail(l.Text, id):
				if run.Fail == 0 || d < run.Fail {
					run.Fail = d
				}
			case isReplica && l.Text == "Failover election won: I'm the new master.":
				if run.Promoted == 0 || d < run.Promoted {
					run.Promoted = d
				}
			case l.Text == "Cluster state changed: ok":
				run.OK = max(run.OK, d)
			}
		}
	}
	if run.Fail == 0 || fault != "kill-pair" && (run.Promoted == 0 || run.OK == 0) {
		return run, fmt.Errorf("live: no complete failover within %v of the kill: %+v", deadline.Sub(at), run)
	}
	return run, nil
}

// WatchClose returns a channel that gets the time conn ends, read from a goroutine of
// its own: nothing must come on conn but its end, as on an idle connection held open to a
// server to see when the kernel closes its sockets.
func WatchClose(conn net.Conn) <-chan time.Time {
	closed := make(chan time.Time, 1)
	go func() {
		_, _ = conn.Read(make([]byte, 1)) // nothing comes but the end of the connection
		closed <- time.Now()
	}()
	return closed
}

// readFirstPing reads, from each master's CLUSTER NODES, when it sent the ping to node id
// that is still unanswered, and keeps the earliest in run.FirstPing, from at.
func readFirstPing(run *SizedFailover, masters []*Conn, id string, at time.Time) error {
	first := int64(0)
	for _, m := range masters {
		text, err := String(m.Do("CLUSTER", "NODES"))
		if err != nil {
			return err
		}
		ping, _, err := PingPong(text, id)
		if err != nil {
			return err
		}
		if ping == 0 {
			continue // no ping outstanding yet
		}
		if run.Pinged == 0 || ping < first {
			first = ping
		}
		run.Pinged++
	}
	if run.Pinged > 0 {
		run.FirstPing = time.Duration(first-at.UnixMilli()) * time.Millisecond
	}
	return nil
}

// MarksFail reports whether a line of a server's log is that server marking node id FAIL:
// by a quorum of its own, or on another's FAIL message. Redis logs both at its default
// level, to the millisecond.
func MarksFail(text, id string) bool {
	return text == fmt.Sprintf("Marking node %s as failing (quorum reached).", id) ||
		strings.HasPrefix(text, "FAIL message received from ") && strings.HasSuffix(text, " about "+id)
}

// FlagsOf returns the flags of node id in a CLUSTER NODES text, without parsing the
// other lines: on a large cluster the poll must stay light.
func FlagsOf(text, id string) (map[string]bool, bool) {
	f := nodeFields(text, id)
	if len(f) < 3 {
		return nil, false
	}
	flags := map[string]bool{}
	for _, fl := range strings.Split(f[2], ",") {
		flags[fl] = true
	}
	return flags, true
}

// nodeFields returns the fields of node id's line in a CLUSTER NODES text, or nil, without
// splitting the other lines. Only a line that starts with id is id's: a replica's line
// names its master's ID too.
func nodeFields(text, id string) []string {
	i := 0
	if !strings.HasPrefix(text, id+" ") {
		i = strings.Index(text, "\n"+id+" ")
		if i < 0 {
			return nil
		}
		i++
	}
	line := text[i:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	return strings.Fields(line)
}

// CPUTimes are the host's CPU times from /proc/stat's "cpu" line, all cores together, in
// clock ticks: Idle (idle and iowait) of Total.
type CPUTimes struct{ Idle, Total uint64 }

// ReadCPU reads the host's CPU times now.
func ReadCPU() (CPUTimes, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return CPUTimes{}, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return CPUTimes{}, errors.New("live: /proc/stat: no cpu line")
	}
	var t CPUTimes
	for i, s := range f[1:] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return CPUTimes{}, fmt.Errorf("live: /proc/stat: %w", err)
		}
		if i >= 8 { // guest and guest_nice are already in user and nice
			break
		}
		t.Total += v
		if i == 3 || i == 4 { // idle, iowait
			t.Idle += v
		}
	}
	return t, nil
}

// BusySince is the share of the CPU time from before to t that was in use; 0 if none passed.
func (t CPUTimes) BusySince(before CPUTimes) float64 {
	total := t.Total - before.Total
	if total == 0 {
		return 0
	}
	return 1 - float64(t.Idle-before.Idle)/float64(total)
}

// PingPong returns the ping_sent and pong_recv fields, in Unix milliseconds, of node id's
// line in a CLUSTER NODES text: `<id> <ip:port@cport> <flags> <master> <ping_sent>
// <pong_recv> …`. ping_sent is when the ping still unanswered was sent (0: none is).
func PingPong(text, id string) (ping, pong int64, err error) {
	f := nodeFields(text, id)
	if f == nil {
		return 0, 0, fmt.Errorf("CLUSTER NODES does not list %s", id)
	}
	if len(f) < 6 {
		return 0, 0, fmt.Errorf("CLUSTER NODES line of %s has %d fields, not 8 or more", id, len(f))
	}
	if ping, err = strconv.ParseInt(f[4], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("ping_sent of %s: %w", id, err)
	}
	if pong, err = strconv.ParseInt(f[5], 10, 64); err != nil {
		return 0, 0, fmt.Errorf("pong_recv of %s: %w", id, err)
	}
	return ping, pong, nil
}
