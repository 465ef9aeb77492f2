// Command record-teardown records how the kernel closes the sockets of a Redis master
// SIGKILLed in a real cluster, and the pings the other masters send it meanwhile. It was
// written for issue 18, to find why real masters among 100 ping a just-killed master
// within tens of milliseconds, where the periodic pings of clusterCron would take
// hundreds: the kernel closes a dead process's sockets one after another, its listening
// socket last; a master whose links to it closed connects again at its next cron, the
// listening socket still completes the connect, and Redis's connect handler sends the
// PING whose timeout is the PFAIL (clusterLinkConnectHandler).
//
// Each trial starts M masters with a replica each on loopback (Redis from the PATH), opens
// an idle client connection to the first master once the cluster is up ("early"), lets
// the cluster run 15 s and a random part of a second, opens another ("late"), SIGKILLs the
// first master while connecting to its cluster bus port again and again (every 0.2 ms,
// closing each connection at once), and half a node timeout (at most 1.5 s) after the kill
// reads CLUSTER NODES once on every surviving master. Each trial prints
//
//	masters=M node_timeout_ms=T trial=K late_close_ms= early_close_ms= bus_refused_ms= bus_accepted= pings=p:q,…
//
// late_close_ms and early_close_ms are when the two connections ended, bus_refused_ms
// when the first connect to the cluster bus port was refused (its listening socket had
// closed), bus_accepted how many had completed after the kill began; all from the
// SIGKILL, and as late as this process saw them (on a busy host it wakes late, and then
// sees several at once). pings lists the masters that had pinged the victim within 300
// ms of the kill: p is ping_sent, q pong_recv, both from the kill in milliseconds.
//
// With -debug the servers log at debug level, and each such master's log lines from
// 150 ms before the kill to its ping follow its trial's line, as comments: they show the
// end of its links, its connect again and whether it was accepted or refused, and the
// ping. Debug logging is itself a load; use it on 30 masters at a 15 s node timeout.
// Run from the repository root with the machine otherwise idle:
//
//	go run ./experiments/recordings/record-teardown -masters 100 -runs 4
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/sim/live"
)

func main() {
	runs := flag.Int("runs", 4, "trials per size")
	mastersText := flag.String("masters", "100", "cluster sizes in masters, each with one replica, comma-separated")
	timeout := flag.Duration("node-timeout", 15*time.Second, "cluster-node-timeout (at least 2s)")
	debug := flag.Bool("debug", false, "servers log at debug level; print each early pinger's log around the kill")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: record-teardown [-runs N] [-masters 30,100] [-node-timeout 15s] [-debug]")
		flag.PrintDefaults()
	}
	flag.Parse()
	masters, err := experiments.ParseMasters(*mastersText)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "record-teardown: %v\n", err)
		os.Exit(2)
	case flag.NArg() > 0 || *runs < 1 || *timeout < 2*time.Second:
		flag.Usage()
		os.Exit(2)
	}
	if err := record(masters, *runs, *timeout, *debug); err != nil {
		fmt.Fprintln(os.Stderr, "record-teardown:", err)
		os.Exit(1)
	}
}

func record(masters []int, runs int, timeout time.Duration, debug bool) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	command := fmt.Sprintf("record-teardown -runs %d -masters %s -node-timeout %v", runs, experiments.FormatInts(masters), timeout)
	if debug {
		command += " -debug"
	}
	live.RecordHeader(os.Stdout, command)
	return live.RecordTrials(os.Stdout, masters, runs, func(ports []int, m, trial int) (string, error) {
		line, err := once(ports, m, timeout, debug)
		return fmt.Sprintf("masters=%d node_timeout_ms=%d trial=%d %s", m, timeout.Milliseconds(), trial, line), err
	})
}

// once runs one trial and returns the words of its line after trial=.
func once(ports []int, masters int, timeout time.Duration, debug bool) (string, error) {
	dir, err := os.MkdirTemp("", "kvplace-teardown-")
	if err != nil {
		return "", err
	}
	forget := live.RemoveOnInterrupt(dir)
	defer func() { os.RemoveAll(dir); forget() }()
	level := "notice"
	if debug {
		level = "debug"
	}
	c, err := live.StartCluster(live.ClusterSpec{Dir: dir, Ports: ports, Masters: masters, Replicas: 1,
		Args: []string{"--cluster-node-timeout", strconv.FormatInt(timeout.Milliseconds(), 10), "--loglevel", level}})
	if err != nil {
		return "", fmt.Errorf("%w: %w", live.ErrSetup, err)
	}
	defer c.Close()
	victim := c.Servers[0]
	early, err := net.DialTimeout("tcp", victim.Addr(), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer early.Close()
	earlyClosed := live.WatchClose(early)
	time.Sleep(15*time.Second + time.Duration(rand.Int64N(int64(time.Second))))
	id, err := live.String(victim.Do("CLUSTER", "MYID"))
	if err != nil {
		return "", err
	}
	late, err := net.DialTimeout("tcp", victim.Addr(), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer late.Close()
	lateClosed := live.WatchClose(late)
	host, port, err := net.SplitHostPort(victim.Addr())
	if err != nil {
		return "", err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return "", err
	}
	bus := net.JoinHostPort(host, strconv.Itoa(p+10000)) // Redis's default cluster bus port
	at := time.Now()
	refused, accepted := make(chan time.Time, 1), make(chan int, 1)
	go func() {
		n := 0
		for time.Since(at) < time.Second {
			conn, err := net.DialTimeout("tcp", bus, 50*time.Millisecond)
			if err != nil {
				refused <- time.Now()
				accepted <- n
				return
			}
			conn.Close()
			n++
			time.Sleep(200 * time.Microsecond)
		}
		refused <- time.Time{}
		accepted <- n
	}()
	if err := victim.Kill(); err != nil {
		return "", err
	}
	since := func(ch <-chan time.Time) string {
		select {
		case t := <-ch:
			if t.IsZero() {
				return "none"
			}
			return fmt.Sprintf("%.1f", float64(t.Sub(at))/float64(time.Millisecond))
		case <-time.After(time.Second):
			return "none"
		}
	}
	lateMs, earlyMs, refusedMs := since(lateClosed), since(earlyClosed), since(refused)
	n := <-accepted
	time.Sleep(time.Until(at.Add(min(1500*time.Millisecond, timeout/2))))
	var pings, logs []string
	for _, s := range c.Servers[1:masters] {
		text, err := live.String(s.Do("CLUSTER", "NODES"))
		if err != nil {
			return "", err
		}
		ping, pong, err := live.PingPong(text, id)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.Addr(), err)
		}
		if ping == 0 || ping-at.UnixMilli() > 300 {
			continue
		}
		pings = append(pings, fmt.Sprintf("%d:%d", ping-at.UnixMilli(), pong-at.UnixMilli()))
		if !debug {
			continue
		}
		logs = append(logs, fmt.Sprintf("# %s pinged at %d ms, last pong %d ms:", s.Addr(), ping-at.UnixMilli(), pong-at.UnixMilli()))
		lines, err := live.ReadLog(filepath.Join(s.Dir, "redis.log"))
		if err != nil {
			return "", err
		}
		for _, l := range lines {
			d := l.At.Sub(at).Milliseconds()
			if d < -150 || d > ping-at.UnixMilli()+20 || strings.Contains(l.Text, "Processing packet") ||
				strings.HasPrefix(l.Text, "GOSSIP ") || strings.Contains(l.Text, "Accepted ") || strings.Contains(l.Text, "Client closed") {
				continue
			}
			logs = append(logs, fmt.Sprintf("#   %5d %s", d, l.Text))
		}
	}
	line := fmt.Sprintf("late_close_ms=%s early_close_ms=%s bus_refused_ms=%s bus_accepted=%d pings=%s load1=%s",
		lateMs, earlyMs, refusedMs, n, strings.Join(pings, ","), live.Load1())
	if len(logs) > 0 {
		line += "\n" + strings.Join(logs, "\n")
	}
	return line, nil
}
