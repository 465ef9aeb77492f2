package live_test

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kvplace/kvplace/sim/live"
)

// TestRecordFailovers measures real failovers when KVPLACE_RECORD_FAILOVER=N is set (N trials
// per node timeout of KVPLACE_RECORD_TIMEOUTS, default "1000"), printing one line per trial in
// the format of sim/cluster/recordings/live-failover-timings.txt. It takes about 15 s a trial.
func TestRecordFailovers(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KVPLACE_RECORD_FAILOVER"))
	if n == 0 {
		t.Skip("set KVPLACE_RECORD_FAILOVER=N to record N real failovers per node timeout")
	}
	live.Need(t)
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
			fmt.Printf("node_timeout_ms=%d trial=%d pfail_ms=%d fail_ms=%d promoted_ms=%d\n",
				ms, trial, run.PFail.Milliseconds(), run.Fail.Milliseconds(), run.Promoted.Milliseconds())
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
