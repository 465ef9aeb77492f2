// Command record-failover-news records how long after a replica wins a failover election
// the other nodes of the cluster hear of it, on real redis-server processes on loopback:
// the recording sim/cluster's cluster bus model (Nagle's algorithm on outbound links) is
// held to. The winner broadcasts a PONG the moment it wins; the connections it sends on
// carry its vote request, sent a millisecond before, which its peers acknowledge with a
// delayed ACK, so Nagle's algorithm holds the PONG back.
//
// Each run starts three masters with a replica each (redis-cli --cluster create
// --cluster-replicas 1, node timeout 1 s, appendonly no), waits for the replicas' first
// sync, SIGKILLs the first master and waits five seconds. It prints one line:
//
//	run winner news_ms load1
//
// news_ms lists, for each of the four nodes left beside the winner (by port), the
// milliseconds from the winner's "Failover election won" log line to that node's last
// "Cluster state changed: ok" (the logs' millisecond clocks); load1 is the host's 1-minute
// load average when the run ended. Run from the repository root, with the machine
// otherwise idle:
//
//	go run ./sim/cluster/calibration/record-failover-news > sim/cluster/calibration/failover-news.txt
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim/live"
)

func main() {
	runs := flag.Int("runs", 12, "runs to record")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: record-failover-news [-runs N]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 || *runs < 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := record(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "record-failover-news:", err)
		os.Exit(1)
	}
}

func record(runs int) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	fmt.Printf("# %s, 3 masters + 3 replicas on loopback, node timeout 1 s, SIGKILL of the first master\n", live.Version())
	fmt.Println("# run winner news_ms load1")
	for run := 1; run <= runs; run++ {
		line, err := once(run)
		if err != nil {
			return fmt.Errorf("run %d: %w", run, err)
		}
		fmt.Println(line)
	}
	return nil
}

func once(run int) (string, error) {
	dir, err := os.MkdirTemp("", "kvplace-failover-news-")
	if err != nil {
		return "", err
	}
	forget := live.RemoveOnInterrupt(dir)
	defer func() { os.RemoveAll(dir); forget() }()
	ports, err := live.FreePorts(6)
	if err != nil {
		return "", err
	}
	var servers []*live.Server
	defer func() {
		for _, s := range servers {
			_ = s.Kill()
		}
	}()
	args := []string{"--cluster", "create"}
	for _, p := range ports {
		s := &live.Server{Port: p, Dir: filepath.Join(dir, strconv.Itoa(p)),
			Args: []string{"--appendonly", "no", "--cluster-node-timeout", "1000"}}
		if err := s.Start(); err != nil {
			return "", err
		}
		servers = append(servers, s)
		args = append(args, s.Addr())
	}
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := live.CLI(args...); err != nil {
		return "", fmt.Errorf("%w\n%s", err, out)
	}
	// The replicas' first sync waits repl-diskless-sync-delay (5 s); an unsynced replica
	// does not fail over.
	time.Sleep(8 * time.Second)
	if err := servers[0].Kill(); err != nil {
		return "", err
	}
	time.Sleep(5 * time.Second)
	var won time.Time
	winner := 0
	ok := map[int]time.Time{}
	for _, s := range servers[1:] {
		w, last, err := readLog(filepath.Join(s.Dir, "redis.log"))
		if err != nil {
			return "", err
		}
		if !w.IsZero() {
			won, winner = w, s.Port
		}
		ok[s.Port] = last
	}
	if winner == 0 {
		return "", fmt.Errorf("no replica won a failover election within 5 s of the kill (logs in %s)", dir)
	}
	var news []string
	for _, s := range servers[1:] {
		if s.Port == winner {
			continue
		}
		if ok[s.Port].Before(won) {
			return "", fmt.Errorf("%s logged no \"Cluster state changed: ok\" after the election", s.Addr())
		}
		news = append(news, strconv.FormatInt(ok[s.Port].Sub(won).Milliseconds(), 10))
	}
	return fmt.Sprintf("%d %d %s %s", run, winner, strings.Join(news, ","), live.Load1()), nil
}

// readLog returns when the log at path says its node won a failover election, if it did,
// and when it last said the cluster state changed to ok.
func readLog(path string) (won, ok time.Time, err error) {
	lines, err := live.ReadLog(path)
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l.Text, "Failover election won"):
			won = l.At
		case l.Text == "Cluster state changed: ok":
			ok = l.At
		}
	}
	return won, ok, err
}
