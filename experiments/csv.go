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
