package experiments

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
	"github.com/kvplace/kvplace/sim/client"
)

// A real failover under go-redis load: the phases are seen, every request is recorded with
// its error's text, porcupine's verdict agrees with the ledger's count of lost writes, and
// go-redis behaves as its source says. With its defaults it reloads its slot map on MOVED,
// ASK and READONLY replies and when the map is ClusterStateReloadInterval (60 s) old, not
// when a node refuses connections: so the killed master's slots fail to the end of the
// observation, long after the promotion. With the interval at 1 s, they are served again
// within a second or so of the promotion.
func TestLiveFailoverWithGoRedis(t *testing.T) {
	livetest.NeedLong(t)
	for _, tc := range []struct {
		name   string
		opts   client.Options
		served bool // the failed master's slots are served again within the observation
	}{
		{"defaults", client.Options{}, false},
		{"reload-1s", client.Options{ClusterStateReloadInterval: time.Second}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each run mostly waits on the servers' timers
			load := DefaultLoad()
			load.Keep, load.Client = true, tc.opts
			tm, err := MeasureLiveFailover(LiveFailover{Run: 1, Dir: t.TempDir(), Masters: 3, Replicas: 1, NodeTimeout: time.Second, Fault: Kill, Load: &load})
			require.NoError(t, err)
			require.Positive(t, tm.Promoted, "no promotion seen")
			assert.Positive(t, tm.PFail)
			assert.LessOrEqual(t, tm.PFail, tm.Fail)
			assert.Less(t, tm.Fail, tm.Promoted)
			assert.NotEmpty(t, tm.Replica)

			out := tm.Load
			require.NotNil(t, out)
			assert.Greater(t, out.Requests, 5000, "1000 requests/s for 7 s")
			assert.Positive(t, out.Acked)
			assert.Positive(t, out.Failed, "nothing failed while the master was dead")
			assert.GreaterOrEqual(t, len(out.Log), out.Requests, "the log keeps every request after the fault")
			refused := 0
			var lastVictimOK, lastVictimFailed time.Duration
			for _, r := range out.Log {
				if r.Outcome == client.Failed {
					require.NotEmpty(t, r.Err, "a failed request without its error")
					if strings.Contains(r.Err, "connection refused") {
						refused++
					}
				} else {
					assert.Empty(t, r.Err)
				}
				if r.Victim && r.Outcome == client.Failed {
					lastVictimFailed = max(lastVictimFailed, r.Sent)
				}
				if r.Victim && r.Outcome != client.Failed {
					lastVictimOK = max(lastVictimOK, r.Sent)
				}
			}
			assert.Positive(t, refused, "no request met the dead master's refusal")
			v := out.Linearizability
			require.NotNil(t, v)
			assert.Equal(t, out.Lost, v.LostWriteKeys(), "porcupine's lost writes against the ledger's")
			assert.Zero(t, v.Anomalies[AnomalyOther])
			t.Logf("pfail %v fail %v promoted %v; %d requests, %d failed (%d refused), unserved %v (recovered %v), lost %d",
				tm.PFail, tm.Fail, tm.Promoted, out.Requests, out.Failed, refused, out.Unserved, out.Recovered, out.Lost)
			if tc.served {
				assert.True(t, out.Recovered, "the failed master's slots were never served again")
				assert.Greater(t, lastVictimOK, lastVictimFailed)
			} else {
				assert.False(t, out.Recovered, "go-redis served the dead master's slots before its state reload")
				assert.Greater(t, lastVictimFailed, tm.Promoted+time.Second, "requests on its slots stopped failing")
			}
		})
	}
}

// The go-redis options a command takes map to go-redis's own fields, and nonsense is
// refused with the flag's name.
func TestClientOptions(t *testing.T) {
	o := client.Options{MaxRedirects: 5, MaxRetries: 2, ReadOnly: true, RouteRandomly: true, PoolSize: 7, ReadTimeout: 3 * time.Second, ClusterStateReloadInterval: 2 * time.Second}
	co := o.ClusterOptions([]string{"127.0.0.1:7000"})
	assert.Equal(t, 5, co.MaxRedirects)
	assert.Equal(t, 2, co.MaxRetries)
	assert.True(t, co.ReadOnly)
	assert.True(t, co.RouteRandomly)
	assert.Equal(t, 7, co.PoolSize)
	assert.Equal(t, 3*time.Second, co.ReadTimeout)
	assert.Equal(t, 2*time.Second, co.ClusterStateReloadInterval)
	assert.Equal(t, []string{"127.0.0.1:7000"}, co.Addrs)
	require.NoError(t, client.Options{}.Check())
	for _, bad := range []struct {
		o    client.Options
		want string
	}{
		{client.Options{MaxRedirects: -2}, "max-redirects -2"},
		{client.Options{ReadTimeout: -time.Second}, "read-timeout -1s"},
		{client.Options{PoolSize: -1}, "pool-size -1"},
		{client.Options{MinRetryBackoff: time.Second, MaxRetryBackoff: time.Millisecond}, "min-retry-backoff 1s is more than max-retry-backoff 1ms"},
		{client.Options{ClusterStateReloadInterval: -time.Second}, "cluster-state-reload-interval -1s"},
	} {
		err := bad.o.Check()
		require.Error(t, err)
		assert.Contains(t, err.Error(), bad.want)
	}
}
