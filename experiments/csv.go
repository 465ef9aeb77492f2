package experiments

import (
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"time"
)

// writeCSV writes header and rows with encoding/csv.
func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

// ms writes a duration as whole milliseconds.
func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }

// msSeen is ms for a time that is zero when the event was not seen: then it is empty.
func msSeen(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return ms(d)
}

// WriteMovementCSV writes one CSV row per step, with the columns of the step table:
// scheme,part,event,node,masters,stored_keys,moved_keys,minimum_keys,moved_bytes,
// settle_ms (empty when the step never settled),window_ms,requests,failed,redirected,
// missed_reads,acked_writes,lost_writes.
func WriteMovementCSV(w io.Writer, res *MovementResult) error {
	if res == nil {
		return errors.New("movement: no result")
	}
	header := []string{"scheme", "part", "event", "node", "masters", "stored_keys", "moved_keys", "minimum_keys", "moved_bytes",
		"settle_ms", "window_ms", "requests", "failed", "redirected", "missed_reads", "acked_writes", "lost_writes"}
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	itoa := strconv.Itoa
	var rows [][]string
	for _, st := range res.Steps {
		settle := ms(st.Settle)
		if !st.Settled {
			settle = ""
		}
		rows = append(rows, []string{st.Scheme, st.Part, st.Event, st.Node, itoa(st.Masters), i64(st.Stored), i64(st.Moved), i64(st.Minimum), i64(st.Bytes),
			settle, ms(st.Window), itoa(st.Requests), itoa(st.Failed), itoa(st.Redirected), itoa(st.Missed), itoa(st.Acked), itoa(st.Lost)})
	}
	return writeCSV(w, header, rows)
}

// WriteScaleCSV writes one CSV row per cluster size: nodes,masters,warmup_wall_ms,
// span_wall_ms,events,events_per_wall_s,virtual_s_per_wall_s,live_heap_bytes,sys_bytes,
// pfail_ms,fail_ms,promoted_ms (empty when not seen),state_ok.
func WriteScaleCSV(w io.Writer, res *ScaleResult) error {
	if res == nil {
		return errors.New("scale: no result")
	}
	header := []string{"nodes", "masters", "warmup_wall_ms", "span_wall_ms", "events", "events_per_wall_s", "virtual_s_per_wall_s",
		"live_heap_bytes", "sys_bytes", "pfail_ms", "fail_ms", "promoted_ms", "state_ok"}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 6, 64) }
	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	var rows [][]string
	for _, r := range res.Rows {
		rows = append(rows, []string{strconv.Itoa(r.Nodes), strconv.Itoa(r.Masters), ms(r.WarmupWall), ms(r.SpanWall), u(r.Events),
			f(r.EventsPerSec), f(r.VirtualPerWall), u(r.LiveHeap), u(r.Sys),
			msSeen(r.Failover.PFail), msSeen(r.Failover.Fail), msSeen(r.Failover.Promoted), strconv.Itoa(r.StateOK)})
	}
	return writeCSV(w, header, rows)
}

// WriteSkewCSV writes every number of the skew run in one long table, one number a row,
// so that a program can select what any of the printed tables shows:
//
//	table,scheme,case,member,metric,value
//
// table is stage (the seed's 3 → 4 → 3 masters), workload, crash, vnode_law, sweep or
// cluster_load; case is the stage, the workload, "replica"/"no replica", the virtual node
// count, N of N → N+1, or the hottest key (hot_key_share, whose member is the master
// serving it); member is set on per-member rows (keys, load, share, expected_share,
// measured_share); metric is the JSON field's name. Values are written
// exactly (shortest form that reads back the same float64).
func WriteSkewCSV(w io.Writer, res *SkewResult) error {
	if res == nil {
		return errors.New("skew: no result")
	}
	var rows [][]string
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	add := func(table, scheme, kase, member, metric, value string) {
		rows = append(rows, []string{table, scheme, kase, member, metric, value})
	}
	skew := func(table, scheme, kase, prefix string, s Skew) {
		add(table, scheme, kase, "", prefix+"max_over_mean", f(s.MaxMean))
		add(table, scheme, kase, "", prefix+"min_over_mean", f(s.MinMean))
		add(table, scheme, kase, "", prefix+"sigma_over_mean", f(s.CV))
	}
	for _, st := range res.Stages {
		sc := st.Scheme.String()
		for i, m := range st.Members {
			if i < len(st.Keys) {
				add("stage", sc, st.Stage, m, "keys", strconv.FormatInt(st.Keys[i], 10))
			}
			if i < len(st.Load) {
				add("stage", sc, st.Stage, m, "load", f(st.Load[i]))
			}
		}
		skew("stage", sc, st.Stage, "key_skew.", st.KeySkew)
		add("stage", sc, st.Stage, "", "moved", f(st.Moved))
		add("stage", sc, st.Stage, "", "minimum", f(st.Minimum))
		for i, m := range st.Members {
			if i < len(st.Bytes) {
				add("stage", sc, st.Stage, m, "bytes", strconv.FormatInt(st.Bytes[i], 10))
			}
		}
		if st.ByteSkew != nil {
			skew("stage", sc, st.Stage, "byte_skew.", *st.ByteSkew)
		}
		if st.MovedBytes != nil {
			add("stage", sc, st.Stage, "", "moved_bytes", f(*st.MovedBytes))
		}
	}
	for _, wl := range res.Workloads {
		sc := wl.Scheme.String()
		for i, m := range wl.Members {
			if i < len(wl.Share) {
				add("workload", sc, wl.Workload, m, "share", f(wl.Share[i]))
			}
		}
		skew("workload", sc, wl.Workload, "skew.", wl.Skew)
	}
	for _, cr := range res.Crashes {
		kase := "no replica"
		if cr.Replica {
			kase = "replica"
		}
		sc := cr.Scheme.String()
		add("crash", sc, kase, "", "owner_changed", f(cr.OwnerChanged))
		add("crash", sc, kase, "", "copied", f(cr.Copied))
		add("crash", sc, kase, "", "lost", f(cr.Lost))
		add("crash", sc, kase, "", "unserved", f(cr.Unserved))
	}
	for _, lp := range res.Law {
		v := strconv.Itoa(lp.VNodes)
		add("vnode_law", "ring:"+v, v, "", "sigma_over_mean", f(lp.CV))
		add("vnode_law", "ring:"+v, v, "", "one_over_sqrt_v", f(lp.Theory))
		if lp.Lamping != 0 {
			add("vnode_law", "ring:"+v, v, "", "lamping_veach", f(lp.Lamping))
		}
	}
	for _, sp := range res.Sweep {
		sc, n := sp.Scheme.String(), strconv.Itoa(sp.N)
		add("sweep", sc, n, "", "moved", f(sp.Moved))
		add("sweep", sc, n, "", "minimum", f(sp.Minimum))
		skew("sweep", sc, n, "key_skew.", sp.KeySkew)
		if sp.ByteSkew != nil {
			skew("sweep", sc, n, "byte_skew.", *sp.ByteSkew)
		}
		if sp.MovedBytes != nil {
			add("sweep", sc, n, "", "moved_bytes", f(*sp.MovedBytes))
		}
	}
	if cl := res.ClusterLoad; cl != nil {
		for i, m := range cl.Masters {
			if i < len(cl.Expected) {
				add("cluster_load", "slots", "", m, "expected_share", f(cl.Expected[i]))
			}
			if i < len(cl.Measured) {
				add("cluster_load", "slots", "", m, "measured_share", f(cl.Measured[i]))
			}
		}
		add("cluster_load", "slots", "", "", "requests", strconv.Itoa(cl.Requests))
		add("cluster_load", "slots", "", "", "failed", strconv.Itoa(cl.Failed))
		add("cluster_load", "slots", "", "", "redirected", strconv.Itoa(cl.Redirected))
		add("cluster_load", "slots", cl.HotKey, cl.HotMaster, "hot_key_share", f(cl.HotShare))
	}
	return writeCSV(w, []string{"table", "scheme", "case", "member", "metric", "value"}, rows)
}
