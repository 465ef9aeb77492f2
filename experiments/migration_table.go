package experiments

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// WriteMigrationTable writes the big values, one line per node timeout and pipeline (the
// medians of its runs, and the runs that failed over or stopped), and the recommendation.
func WriteMigrationTable(w io.Writer, res *MigrationResult) error {
	if res == nil {
		return errors.New("migration: no result")
	}
	cfg := res.Config
	p := &printer{w: w}
	p.printf("kvplace migration: the seed tutorial's 4096 slots moved to a fourth master, by reshard (slots) or rebalance\n(slots:rebalance), with big values, under load\n")
	p.printf("(3 masters + 3 replicas, %d keys of sizes %s, %d GETs/s from %d clients, --cluster-timeout %v, %d runs a cell from seed %d, host slowdown %g)\n\n",
		cfg.Keys, cfg.Size, int(cfg.Rate), cfg.Clients, cfg.Timeout, cfg.Runs, cfg.Seed, cfg.Slowdown)
	tw := p.table()
	fmt.Fprintln(tw, "value\ttype\tsize\tMEMORY USAGE\tslot\t")
	for _, v := range res.Values {
		size := strconv.Itoa(v.Elements) + " elements"
		switch v.Type {
		case "string":
			size = "largest of the keys"
		case "hash":
			size = strconv.Itoa(v.Elements) + " fields"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t\n", v.Key, v.Type, size, mb(v.Bytes), v.Slot)
	}
	p.flush(tw)
	p.printf("\n")
	tw = p.table()
	fmt.Fprintln(tw, "scheme\tnode timeout\tpipeline\treshard\tlongest stall\tfailed over\treshard stopped\tleft down\tGETs failed\tslowest GET\t")
	for _, sc := range cfg.Schemes {
		for _, t := range cfg.NodeTimeouts {
			for _, pl := range cfg.Pipelines {
				runs := res.Cell(sc, t, pl)
				failedOver, stopped, down := 0, 0, 0
				for _, r := range runs {
					if len(r.FailedOver) > 0 {
						failedOver++
					}
					if r.Error != "" {
						stopped++
					}
					if len(r.NodesDown) > 0 {
						down++
					}
				}
				med := func(f func(MigrationRun) time.Duration) string { return secs(res.Median(sc, t, pl, f)) }
				failed := res.Median(sc, t, pl, func(r MigrationRun) time.Duration { return time.Duration(r.Failed) })
				fmt.Fprintf(tw, "%s\t%v\t%d\t%s\t%s\t%d of %d\t%d of %d\t%d of %d\t%d\t%s\t\n", sc, t, pl,
					med(func(r MigrationRun) time.Duration { return r.Reshard }), med(MigrationRun.Stall),
					failedOver, len(runs), stopped, len(runs), down, len(runs), int64(failed),
					med(func(r MigrationRun) time.Duration { return r.Slowest }))
			}
		}
	}
	p.flush(tw)
	p.printf("   Medians over each cell's runs. A stall is a master's event loop held (by MIGRATE, RESTORE or the free of a\n")
	p.printf("   big value): it answers neither clients nor the cluster bus's pings meanwhile. Left down: a node still answered\n")
	p.printf("   CLUSTERDOWN a minute after the reshard.\n")
	if run := res.firstError(); run != nil {
		p.printf("   A stopped reshard (%s, node timeout %v, pipeline %d, seed %d): %s\n", run.Scheme, run.NodeTimeout, run.Pipeline, run.Seed, run.Error)
		if len(run.NodesDown) > 0 {
			p.printf("   It left %d open slot(s) and %s in cluster_state:fail: the slot being moved stays importing on the new\n", run.OpenSlots, strings.Join(run.NodesDown, ", "))
			p.printf("   master, and once its source is a replica that master holds the slot unassigned and refuses every key\n")
			p.printf("   until `redis-cli --cluster fix` closes it.\n")
		}
	}
	p.printf("\n")
	longest := time.Duration(0)
	for _, r := range res.Runs {
		longest = max(longest, r.Stall())
	}
	if res.SafeTimeout == 0 {
		p.printf("Every node timeout tried failed a master over: the largest value stalls its master up to %s. Split it, or try\n", secs(longest))
		p.printf("a node timeout above that (-node-timeouts).\n")
		return p.err
	}
	p.printf("Recommendation: cluster-node-timeout %v or more, the smallest tried that no run failed over at (the largest\n", res.SafeTimeout)
	p.printf("value stalls its master up to %s; node timeouts below that let the other masters mark it FAIL and promote its\n", secs(longest))
	how := "redis-cli --cluster reshard"
	if res.BestScheme == MigrationRebalance {
		how = "redis-cli --cluster rebalance"
	}
	p.printf("replica mid-reshard), and %s with --cluster-pipeline %d, the fastest at that timeout.\n", how, res.BestPipeline)
	return p.err
}

// firstError returns the first run whose reshard stopped, or nil.
func (res *MigrationResult) firstError() *MigrationRun {
	for i := range res.Runs {
		if res.Runs[i].Error != "" {
			return &res.Runs[i]
		}
	}
	return nil
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s" }

// mb writes a size in MB (10⁶ bytes), or kB below one MB.
func mb(n int64) string {
	if n < 1e6 {
		return strconv.FormatFloat(float64(n)/1e3, 'f', 1, 64) + " kB"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
}

// WriteMigrationCSV writes one CSV row per run: node_timeout_ms,pipeline,seed,reshard_ms,
// error,longest_stall_ms,stalls_ms (each master's, space-separated, in the order of
// masters),masters,failed_over (space-separated),pfail_flags,open_slots,nodes_down
// (space-separated),moved_keys,moved_bytes,
// keys_before,keys_after,requests,failed,redirected,slowest_ms,scheme.
func WriteMigrationCSV(w io.Writer, res *MigrationResult) error {
	if res == nil {
		return errors.New("migration: no result")
	}
	header := []string{"node_timeout_ms", "pipeline", "seed", "reshard_ms", "error", "longest_stall_ms", "stalls_ms", "masters", "failed_over",
		"pfail_flags", "open_slots", "nodes_down", "moved_keys", "moved_bytes", "keys_before", "keys_after", "requests", "failed", "redirected", "slowest_ms", "scheme"}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	var rows [][]string
	for _, r := range res.Runs {
		stalls := make([]string, len(r.Stalls))
		for i, s := range r.Stalls {
			stalls[i] = ms(s)
		}
		rows = append(rows, []string{ms(r.NodeTimeout), strconv.Itoa(r.Pipeline), strconv.FormatUint(r.Seed, 10), ms(r.Reshard), r.Error,
			ms(r.Stall()), strings.Join(stalls, " "), strings.Join(r.Masters, " "), strings.Join(r.FailedOver, " "),
			strconv.Itoa(r.PFail), strconv.Itoa(r.OpenSlots), strings.Join(r.NodesDown, " "), i64(r.MovedKeys), i64(r.MovedBytes), i64(r.KeysBefore), i64(r.KeysAfter),
			strconv.Itoa(r.Requests), strconv.Itoa(r.Failed), strconv.Itoa(r.Redirected), ms(r.Slowest), r.Scheme})
	}
	return writeCSV(w, header, rows)
}
