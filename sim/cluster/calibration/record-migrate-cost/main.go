// Command record-migrate-cost measures what a MIGRATE of one big key costs on real
// redis-server processes on loopback, the recording sim/cluster's MIGRATE model is held
// to. Two single-node clusters, each owning every slot, with appendonly off: the source
// writes the value (SET of `load string`'s bytes, or the script `load hash|list|set|zset`
// runs, cluster.LoadScripts), then MIGRATEs it to the target. Each run prints one line:
//
//	kind size run build_us migrate_us wall_us restore_us dump_us del_us payload load1
//
// build_us is the server's time to write the value (INFO commandstats), migrate_us the
// source's time in MIGRATE, wall_us the same seen by the client, restore_us the target's
// time in RESTORE-ASKING, dump_us and del_us the target's time to serialize the value
// again (DUMP inside EVAL) and to delete it, payload the DUMP payload's bytes, load1 the
// host's 1-minute load average when the run ended. Run from the repository root, with the
// machine otherwise idle:
//
//	go run ./sim/cluster/calibration/record-migrate-cost > sim/cluster/calibration/migrate-cost.txt
//
// -cells kind:size,... records other cells (the validation cells the model is not fitted
// to: -cells string:30000000,hash:500,hash:300000,list:300000,set:300000,zset:300000,zset:100).
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kvplace/kvplace/sim/cluster"
	"github.com/kvplace/kvplace/sim/live"
)

func main() {
	runs := flag.Int("runs", 10, "runs per cell")
	only := flag.String("cells", "", "cells to record instead of the calibration cells, as kind:size,...")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: record-migrate-cost [-runs N] [-cells kind:size,...]")
		os.Exit(2)
	}
	if *only != "" {
		cells = nil
		for _, c := range strings.Split(*only, ",") {
			kind, size, _ := strings.Cut(c, ":")
			n, err := strconv.Atoi(size)
			if _, ok := cluster.LoadScripts[kind]; (!ok && kind != "string") || err != nil || n <= 0 {
				fmt.Fprintf(os.Stderr, "record-migrate-cost: -cells: %q is not kind:size with kind string, hash, list, set or zset\n", c)
				os.Exit(2)
			}
			cells = append(cells, cell{kind, n})
		}
	}
	if err := record(*runs); err != nil {
		fmt.Fprintln(os.Stderr, "record-migrate-cost:", err)
		os.Exit(1)
	}
}

type cell struct {
	kind string
	size int
}

var cells = []cell{
	{"string", 1000}, {"string", 100_000}, {"string", 1_000_000}, {"string", 10_000_000},
	{"string", 100_000_000}, {"string", 300_000_000},
	{"hash", 1000}, {"hash", 10_000}, {"hash", 100_000}, {"hash", 1_000_000}, {"hash", 3_000_000},
	{"list", 1000}, {"list", 10_000}, {"list", 100_000}, {"list", 1_000_000}, {"list", 3_000_000},
	{"set", 1000}, {"set", 10_000}, {"set", 100_000}, {"set", 1_000_000}, {"set", 3_000_000},
	{"zset", 1000}, {"zset", 10_000}, {"zset", 100_000}, {"zset", 1_000_000}, {"zset", 3_000_000},
}

func record(runs int) error {
	defer live.Cleanup()
	stop := live.HandleInterrupts()
	defer stop()
	dir, err := os.MkdirTemp("", "kvplace-live-migrate-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ports, err := live.FreePorts(2)
	if err != nil {
		return err
	}
	var servers []*live.Server
	for i, p := range ports {
		s := &live.Server{Port: p, Dir: fmt.Sprintf("%s/%d", dir, i), Args: []string{"--appendonly", "no", "--proto-max-bulk-len", "1gb"}}
		if err := s.Start(); err != nil {
			return err
		}
		defer s.Kill()
		if _, err := s.Do("CLUSTER", "ADDSLOTSRANGE", "0", "16383"); err != nil {
			return err
		}
		servers = append(servers, s)
	}
	src, dst := servers[0], servers[1]
	for _, s := range servers {
		if err := waitOK(s); err != nil {
			return err
		}
	}
	c, err := live.Dial(src.Addr(), 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Printf("# %s, appendonly no, two single-node clusters on loopback\n", live.Version())
	fmt.Println("# kind size run build_us migrate_us wall_us restore_us dump_us del_us payload load1")
	const key = "big"
	strs := map[int]string{}
	for _, ce := range cells {
		for run := 1; run <= runs; run++ {
			for _, s := range servers {
				if _, err := s.Do("CONFIG", "RESETSTAT"); err != nil {
					return err
				}
			}
			if ce.kind == "string" {
				if strs[ce.size] == "" {
					strs = map[int]string{ce.size: cluster.LoadString(ce.size)}
				}
				_, err = c.Do("SET", key, strs[ce.size])
			} else {
				_, err = c.Do("EVAL", cluster.LoadScripts[ce.kind], "1", key, strconv.Itoa(ce.size))
			}
			if err != nil {
				return fmt.Errorf("writing %s %d: %w", ce.kind, ce.size, err)
			}
			build := usec(src, "set")
			if ce.kind != "string" {
				build = usec(src, "eval")
			}
			began := time.Now()
			r, err := c.Do("MIGRATE", "127.0.0.1", strconv.Itoa(dst.Port), "", "0", "600000", "KEYS", key)
			wall := time.Since(began)
			if err != nil || r != "OK" {
				return fmt.Errorf("MIGRATE of %s %d: %v %v", ce.kind, ce.size, r, err)
			}
			migrate, restore := usec(src, "migrate"), usec(dst, "restore-asking")
			if _, err := dst.Do("CONFIG", "RESETSTAT"); err != nil {
				return err
			}
			n, err := live.Int(dst.Do("EVAL", "return string.len(redis.call('DUMP', KEYS[1]))", "1", key))
			if err != nil {
				return err
			}
			dump := usec(dst, "eval")
			if _, err := dst.Do("DEL", key); err != nil {
				return err
			}
			del := usec(dst, "del")
			fmt.Printf("%s %d %d %d %d %d %d %d %d %d %s\n", ce.kind, ce.size, run, build, migrate, wall.Microseconds(), restore, dump, del, n, live.Load1())
		}
	}
	return nil
}

func waitOK(s *live.Server) error {
	for range 200 {
		info, err := live.String(s.Do("CLUSTER", "INFO"))
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s: cluster_state never became ok", s.Addr())
}

// usec returns the microseconds s spent in command name since the last CONFIG RESETSTAT.
func usec(s *live.Server, name string) int64 {
	info, err := live.String(s.Do("INFO", "commandstats"))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(info, "\r\n") {
		rest, ok := strings.CutPrefix(line, "cmdstat_"+name+":")
		if !ok {
			continue
		}
		for _, f := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(f, "usec="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				return n
			}
		}
	}
	return -1
}
