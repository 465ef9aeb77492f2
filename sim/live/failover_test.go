package live_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
	"github.com/kvplace/kvplace/sim/live"
)

// TestRecordFailovers measures real failovers when KVPLACE_RECORD_FAILOVER=N is set (N trials
// per node timeout of KVPLACE_RECORD_TIMEOUTS, default "1000"), printing one line per trial in
// the format of experiments/recordings/live-failover-timings.txt. It takes about 15 s a trial.
func TestRecordFailovers(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KVPLACE_RECORD_FAILOVER"))
	if n == 0 {
		t.Skip("set KVPLACE_RECORD_FAILOVER=N to record N real failovers per node timeout")
	}
	livetest.Need(t)
	timeouts := os.Getenv("KVPLACE_RECORD_TIMEOUTS")
	if timeouts == "" {
		timeouts = "1000"
	}
	for _, ms := range splitInts(timeouts) {
		for trial := 1; trial <= n; trial++ {
			ports, err := live.FreePorts(6)
			if err != nil {
				t.Fatal(err)
			}
			run, err := live.MeasureFailover(t.TempDir(), ports, time.Duration(ms)*time.Millisecond, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Printf("node_timeout_ms=%d trial=%d pfail_ms=%d last_pfail_ms=%d fail_ms=%d promoted_ms=%d\n",
				ms, trial, run.PFail.Milliseconds(), run.LastPFail.Milliseconds(), run.Fail.Milliseconds(), run.Promoted.Milliseconds())
		}
	}
}

func splitInts(s string) []int {
	var out []int
	cur := ""
	for _, c := range s + "," {
		if c == ',' {
			if v, err := strconv.Atoi(cur); err == nil {
				out = append(out, v)
			}
			cur = ""
			continue
		}
		cur += string(c)
	}
	return out
}

// TestRealClusterDownWhileMasterFailed: in a real Redis 7 cluster, from the moment a killed
// master is marked FAIL until its replica is promoted, the other masters refuse even keys of
// their own slots with CLUSTERDOWN (cluster-require-full-coverage yes, the default). The
// simulator does the same (sim/cluster TestFailoverUnderLoadKill), and the failover
// experiment's timeline shows it; this holds the claim to real Redis.
func TestRealClusterDownWhileMasterFailed(t *testing.T) {
	livetest.NeedLong(t)
	ports, err := live.FreePorts(6)
	if err != nil {
		t.Fatal(err)
	}
	run, err := live.MeasureFailover(t.TempDir(), ports, time.Second, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fail %v, other master down %v, promoted %v, other master up %v", run.Fail, run.OthersDown, run.Promoted, run.OthersUp)
	if run.Fail == 0 || run.Promoted == 0 {
		t.Fatalf("no failover seen: %+v", run)
	}
	// The probes run every millisecond or so, between CLUSTER NODES polls of five nodes:
	// allow 50 ms of slack on each side.
	const slack = 50 * time.Millisecond
	if run.OthersDown == 0 {
		t.Fatalf("another master kept serving its own slots while the victim was FAIL: %+v", run)
	}
	if run.OthersDown < run.Fail-slack || run.OthersDown > run.Promoted+slack {
		t.Errorf("another master went down at %v, outside FAIL (%v) .. promotion (%v)", run.OthersDown, run.Fail, run.Promoted)
	}
	if run.OthersUp < run.Promoted-slack || run.OthersUp > run.Promoted+time.Second {
		t.Errorf("another master came back at %v, not just after the promotion (%v)", run.OthersUp, run.Promoted)
	}
}

// TestStartRefusesAnotherServersPort: a server started on a port another redis-server
// already holds must not be taken for started because the other one answers PING (CI
// saw a runbook go on talking to another test binary's server that way).
func TestStartRefusesAnotherServersPort(t *testing.T) {
	first := livetest.StartCluster(t, 1)[0]
	second := &live.Server{Port: first.Port, Dir: t.TempDir()}
	err := second.Start()
	t.Cleanup(func() { _ = second.Kill() })
	require.Error(t, err)
	assert.Regexp(t, `exited at start|is answered by another redis-server`, err.Error())
}
