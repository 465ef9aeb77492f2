package experiments

import (
	"os"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The simulated go-redis client (client.GoRedis) held to the recorded live cells
// (recordings/goredis, made with recordings/record-goredis.sh): for each cell, the same
// fault, node timeout and go-redis options in simulation give medians of failed requests
// and of lost acknowledged writes within 20 % of the live ones, and the failed master's
// slots are served again within the observation in as many runs, give or take three in
// ten; where most live runs recovered, the unserved window's median is within 20 % too.
func TestSimulatedGoRedisMatchesLive(t *testing.T) {
	if testing.Short() {
		t.Skip("a minute of simulation; go test without -short runs it")
	}
	seeds := 10
	if os.Getenv("KVPLACE_HEAVY") != "" {
		seeds = 30
	}
	cells, err := LiveCells()
	require.NoError(t, err)
	require.NotEmpty(t, cells)
	for _, cell := range cells {
		t.Run(cell.Name, func(t *testing.T) {
			t.Parallel()
			require.GreaterOrEqual(t, len(cell.Runs), 10, "fewer than 10 live runs")
			cfg := DefaultFailoverConfig()
			cfg.Runs, cfg.Fault, cfg.NodeTimeout, cfg.Load.Client = seeds, cell.Fault, cell.NodeTimeout, cell.Client
			res, err := RunFailover(cfg)
			require.NoError(t, err)
			var live, sim goRedisOutcomes
			for _, r := range cell.Runs {
				live.add(r.Failed, r.Lost, r.Unserved, r.Recovered, cfg.Load.observe(cfg.NodeTimeout))
			}
			for _, r := range res.Runs {
				l := r.Load
				sim.add(l.Failed, l.Lost, l.Unserved, l.Recovered, cfg.Load.observe(cfg.NodeTimeout))
			}
			t.Logf("failed requests: live %v, simulated %v", live.failed.median(), sim.failed.median())
			t.Logf("lost writes: live %v, simulated %v", live.lost.median(), sim.lost.median())
			t.Logf("recovered: live %d/%d, simulated %d/%d; unserved: live %v ms, simulated %v ms",
				live.recovered, len(cell.Runs), sim.recovered, len(res.Runs), live.unserved.median(), sim.unserved.median())
			assert.InEpsilon(t, live.failed.median(), sim.failed.median(), 0.2, "failed requests")
			if live.lost.median() == 0 {
				assert.Zero(t, sim.lost.median(), "lost writes")
			} else {
				assert.InEpsilon(t, live.lost.median(), sim.lost.median(), 0.2, "lost writes")
			}
			liveShare := float64(live.recovered) / float64(len(cell.Runs))
			simShare := float64(sim.recovered) / float64(len(res.Runs))
			assert.InDelta(t, liveShare, simShare, 0.3, "share of runs whose slots were served again")
			if liveShare >= 0.5 {
				assert.InEpsilon(t, live.unserved.median(), sim.unserved.median(), 0.2, "unserved window")
			}
		})
	}
}

// goRedisOutcomes collects a cell's per-run counts; a run that never recovered counts
// the whole observation as unserved.
type goRedisOutcomes struct {
	failed, lost, unserved sample
	recovered              int
}

func (o *goRedisOutcomes) add(failed, lost int, unserved time.Duration, recovered bool, observe time.Duration) {
	o.failed = append(o.failed, float64(failed))
	o.lost = append(o.lost, float64(lost))
	if recovered {
		o.recovered++
	} else {
		unserved = observe
	}
	o.unserved = append(o.unserved, float64(unserved.Milliseconds()))
}

// A sample is a cell's values of one count.
type sample []float64

func (s sample) median() float64 { return summarise(s).Median }

// The recordings parse, and each cell holds what its name says.
func TestLiveCells(t *testing.T) {
	cells, err := LiveCells()
	require.NoError(t, err)
	for _, c := range cells {
		assert.GreaterOrEqual(t, len(c.Runs), 10, c.Name)
		assert.Equal(t, c.Options == "replicas", c.Client.ReadOnly && c.Client.RouteRandomly, c.Name)
		for _, r := range c.Runs {
			assert.Positive(t, r.Requests, c.Name)
			assert.LessOrEqual(t, r.Failed, r.Requests, c.Name)
			if c.Fault == "kill" {
				assert.Zero(t, r.Lost, "%s run %d: a SIGKILL on loopback loses no acknowledged write", c.Name, r.Run)
			}
		}
	}
}

// A recording with a field that is not a number is refused, naming its line.
func TestLiveCellBadLine(t *testing.T) {
	files := fstest.MapFS{"kill-1s-default.csv": {Data: []byte("# made by hand\n" +
		"seed,pfail_ms,fail_ms,promoted_ms,promoted_replica,unserved_ms,requests,failed,redirected,acked_writes,lost_writes\n" +
		"1,1373,1876,2490,127.0.0.1:10005,,6999,2674,0,2175,0\n" +
		"2,1314,soon,2881,127.0.0.1:10009,,7000,3057,0,1965,0\n")}}
	f, err := files.Open("kill-1s-default.csv")
	require.NoError(t, err)
	_, err = readLiveCell("kill-1s-default", f)
	assert.ErrorContains(t, err, `line 4: fail_ms "soon"`)
	f, err = files.Open("kill-1s-default.csv")
	require.NoError(t, err)
	_, err = readLiveCell("kill-1s-sometimes", f)
	assert.ErrorContains(t, err, `options "sometimes": want default or replicas`)
}
