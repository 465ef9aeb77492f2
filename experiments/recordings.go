package experiments

import (
	"embed"
	"fmt"
	"io/fs"
	"iter"
	"math"
	"strconv"
	"strings"
	"time"
)

// recordings holds real Redis 7.0.15 failovers: the reference file measured when the
// project began (polled through redis-cli every ~20 ms) and sim/live.MeasureFailover's
// recordings (polled about every millisecond). Their headers say how they were made.
//
//go:embed recordings/*.txt
var recordings embed.FS

// A RealFailover is one real master crash: times from the SIGKILL until a surviving master
// showed it "fail?", until a node showed it "fail", and until its replica was master.
type RealFailover struct {
	Source      string // the recording's file name
	Trial       int
	NodeTimeout time.Duration
	PFail       time.Duration
	Fail        time.Duration
	Promoted    time.Duration
	// LastPFail is when the last surviving master showed it "fail?" (or "fail"); zero in
	// recordings made before it was measured.
	LastPFail time.Duration
	// Masters is the cluster's size in masters, each with one replica: 3 in the
	// recordings that do not say (the seed tutorial's 3 + 3).
	Masters int
	// OK is when the last surviving node said cluster_state:ok again; zero in recordings
	// that did not measure it.
	OK time.Duration
	// CPUBusy is the host's CPU share in use during the trial, where recorded (else 0).
	CPUBusy float64
	// ExtraLoad is the share of the host's CPU time that work run beside the servers on
	// purpose was set to take (extra_load: stress-ng's --cpu-load over all cores), 0 in
	// recordings made with the machine otherwise idle.
	ExtraLoad float64
	// Fault is how the master was taken away (as experiments' faults are named): "kill"
	// in the recordings that do not say.
	Fault string
	// PollEvery is how late PFail can be, where the recorder polled masters in turn and
	// said so (poll_ms); zero where it did not.
	PollEvery time.Duration
	// FirstPing is when the first surviving master pinged the victim after its last pong
	// from it (first_ping_ms, record-failover-size -read-pings); PingRead says whether the
	// recorder read it. A master flags PFAIL a node timeout after that ping.
	FirstPing time.Duration
	PingRead  bool
}

// RealFailovers returns every recorded real failover, file by file in name order.
func RealFailovers() ([]RealFailover, error) {
	names, err := fs.Glob(recordings, "recordings/*.txt")
	if err != nil {
		return nil, err
	}
	var all []RealFailover
	for _, name := range names {
		text, err := recordings.ReadFile(name)
		if err != nil {
			return nil, err
		}
		runs, err := parseRecording(strings.TrimPrefix(name, "recordings/"), string(text))
		if err != nil {
			return nil, err
		}
		all = append(all, runs...)
	}
	return all, nil
}

// parseRecording reads lines of key=value words (node_timeout_ms, trial, pfail_ms, fail_ms,
// promoted_ms, and optionally last_pfail_ms, masters, fault, ok_ms, poll_ms, cpu_busy,
// extra_load and first_ping_ms; other words are ignored), skipping blank lines and #
// comments.
func parseRecording(source, text string) ([]RealFailover, error) {
	var runs []RealFailover
	for n, kv := range recordingLines(text) {
		ms := func(key string) (time.Duration, error) {
			v, err := strconv.Atoi(kv[key])
			if err != nil {
				return 0, fmt.Errorf("%s line %d: %s=%q is not a number of milliseconds", source, n, key, kv[key])
			}
			return time.Duration(v) * time.Millisecond, nil
		}
		r := RealFailover{Source: source}
		r.Trial, _ = strconv.Atoi(kv["trial"])
		var err error
		for _, f := range []struct {
			key string
			dst *time.Duration
		}{{"node_timeout_ms", &r.NodeTimeout}, {"pfail_ms", &r.PFail}, {"fail_ms", &r.Fail}, {"promoted_ms", &r.Promoted}, {"last_pfail_ms", &r.LastPFail}, {"ok_ms", &r.OK}, {"poll_ms", &r.PollEvery}} {
			if _, ok := kv[f.key]; !ok && (f.key == "last_pfail_ms" || f.key == "ok_ms" || f.key == "poll_ms") {
				continue // optional
			}
			if *f.dst, err = ms(f.key); err != nil {
				return nil, err
			}
		}
		r.Fault = "kill"
		if v, ok := kv["fault"]; ok {
			if _, err := ParseFault(v); err != nil {
				return nil, fmt.Errorf("%s line %d: %w", source, n, err)
			}
			r.Fault = v
		}
		r.Masters = 3
		if v, ok := kv["masters"]; ok {
			if r.Masters, err = strconv.Atoi(v); err != nil || r.Masters < 3 {
				return nil, fmt.Errorf("%s line %d: masters=%q is not a number of masters (3 or more)", source, n, v)
			}
		}
		if v, ok := kv["cpu_busy"]; ok {
			if r.CPUBusy, err = strconv.ParseFloat(v, 64); err != nil || r.CPUBusy < 0 || r.CPUBusy > 1 {
				return nil, fmt.Errorf("%s line %d: cpu_busy=%q is not a share from 0 to 1", source, n, v)
			}
		}
		if v, ok := kv["extra_load"]; ok {
			if r.ExtraLoad, err = strconv.ParseFloat(v, 64); err != nil || r.ExtraLoad < 0 || r.ExtraLoad > 1 {
				return nil, fmt.Errorf("%s line %d: extra_load=%q is not a share from 0 to 1", source, n, v)
			}
		}
		if _, ok := kv["first_ping_ms"]; ok {
			// A ping sent before the kill and never answered is a negative time.
			if r.FirstPing, err = ms("first_ping_ms"); err != nil {
				return nil, err
			}
			r.PingRead = true
		}
		runs = append(runs, r)
	}
	return runs, nil
}

// recordingLines yields the lines of a recording made of key=value words, by line number
// from 1, as maps from key to value; blank lines and # comments are skipped, and so are
// words without "=". Every recording under recordings/ has this form, whatever its keys.
func recordingLines(text string) iter.Seq2[int, map[string]string] {
	return func(yield func(int, map[string]string) bool) {
		n := 0
		for line := range strings.Lines(text) {
			n++
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			kv := map[string]string{}
			for _, w := range strings.Fields(line) {
				if k, v, ok := strings.Cut(w, "="); ok {
					kv[k] = v
				}
			}
			if !yield(n, kv) {
				return
			}
		}
	}
}

// onHost reports whether r was recorded on a host like the one a simulation with host
// busy share busy models (FailoverConfig.HostBusy): 0, the idle host simulated by
// default, matches the recordings with nothing run beside the servers; a busy share
// matches the trials whose measured CPU share is within 0.1 of it, whatever made it busy.
func (r RealFailover) onHost(busy float64) bool {
	if busy == 0 {
		return r.ExtraLoad == 0
	}
	return r.CPUBusy != 0 && math.Abs(r.CPUBusy-busy) <= 0.1
}
