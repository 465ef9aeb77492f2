package scenario

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
)

// stopRunbook stops a master whose replica has not acknowledged a write: the replica
// waits for its first full copy, held back 30 s by repl-diskless-sync-delay. Redis 7.0
// then keeps the master up until shutdown-timeout, here 3 s, has passed.
const stopRunbook = `docker run -d --name n1 --net host redis:7.0.15 --cluster-enabled yes --port 6381 --repl-diskless-sync-delay 30 --shutdown-timeout 3
docker run -d --name n2 --net host redis:7.0.15 --cluster-enabled yes --port 6382 --repl-diskless-sync-delay 30 --shutdown-timeout 3
docker run -d --name n3 --net host redis:7.0.15 --cluster-enabled yes --port 6383 --repl-diskless-sync-delay 30 --shutdown-timeout 3
docker run -d --name n4 --net host redis:7.0.15 --cluster-enabled yes --port 6384 --repl-diskless-sync-delay 30 --shutdown-timeout 3
docker run -d --name n5 --net host redis:7.0.15 --cluster-enabled yes --port 6385 --repl-diskless-sync-delay 30 --shutdown-timeout 3
docker run -d --name n6 --net host redis:7.0.15 --cluster-enabled yes --port 6386 --repl-diskless-sync-delay 30 --shutdown-timeout 3
redis-cli --cluster create 127.0.0.1:6381 127.0.0.1:6382 127.0.0.1:6383 127.0.0.1:6384 127.0.0.1:6385 127.0.0.1:6386 --cluster-replicas 1 --cluster-yes
sleep 2s
redis-cli -p 6382 set k v
docker stop n2
redis-cli -p 6381 ping
`

// stopSeconds returns how long a timed transcript's "docker stop n2" took.
func stopSeconds(t *testing.T, transcript string) float64 {
	t.Helper()
	for _, s := range timedSteps(t, transcript) {
		if s.cmd == "docker stop n2" {
			return s.took.Seconds()
		}
	}
	t.Fatalf("no docker stop n2 in:\n%s", transcript)
	return 0
}

// A docker stop of a master whose replica lags takes shutdown-timeout, on real Redis and
// in simulation alike (cluster.Cluster.Stop); with every replica caught up it is at once.
func TestStopWaitsForLaggingReplicasAsRedis(t *testing.T) {
	livetest.Need(t)
	t.Parallel()
	ports, _ := freePortMaps(t, 6)
	rb := parseText(t, ports(stopRunbook))
	var real bytes.Buffer
	require.NoError(t, RunLive(rb, &real, Options{Time: true, Dir: t.TempDir()}))
	live := stopSeconds(t, real.String())
	t.Logf("live: docker stop took %.3f s", live)
	// Redis checks on its serverCron, 10 times a second; the live backend sends SIGKILL
	// after 10 s, which would show here as 10.
	assert.GreaterOrEqual(t, live, 3.0, "the real master waited for its replica")
	assert.Less(t, live, 5.0, "the real master gave up after shutdown-timeout")
	for seed := uint64(1); seed <= 3; seed++ {
		var sim bytes.Buffer
		require.NoError(t, RunSim(rb, &sim, Options{Seed: seed, Time: true}))
		s := stopSeconds(t, sim.String())
		t.Logf("seed %d: docker stop took %.3f s", seed, s)
		assert.GreaterOrEqual(t, s, 3.0, "seed %d", seed)
		assert.Less(t, s, 3.25, "seed %d", seed)
	}
	// Without the write, and before the master's stream has a PING in it, nothing lags.
	quiet := parseText(t, ports(strings.Replace(stopRunbook, "redis-cli -p 6382 set k v\n", "", 1)))
	var sim bytes.Buffer
	require.NoError(t, RunSim(quiet, &sim, Options{Seed: 1, Time: true}))
	assert.Less(t, stopSeconds(t, sim.String()), 0.01)
}
