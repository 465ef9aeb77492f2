package live

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFreePortsAreReserved: tests running in parallel ask before they bind, so two calls
// must never hand out the same port, nor one's cluster bus port as another's port.
func TestFreePortsAreReserved(t *testing.T) {
	a, err := FreePorts(8)
	require.NoError(t, err)
	b, err := FreePorts(8)
	require.NoError(t, err)
	used := map[int]bool{}
	for _, p := range a {
		used[p], used[p+10000] = true, true
	}
	for _, p := range b {
		assert.False(t, used[p] || used[p+10000], "port %d (bus %d) was handed out twice", p, p+10000)
	}
}

// TestFreePortsAvoidEphemeralRange: a port in the kernel's ephemeral range can be taken by
// an outgoing connection between the probe and the bind (CI lost a run to bus port 33304).
func TestFreePortsAvoidEphemeralRange(t *testing.T) {
	lo, hi := ephemeralRange()
	ports, err := FreePorts(16)
	require.NoError(t, err)
	for _, p := range ports {
		for _, q := range []int{p, p + 10000} {
			assert.False(t, q >= lo && q <= hi, "port %d is in the ephemeral range %d-%d", q, lo, hi)
		}
	}
}

// TestClaimIsExclusiveAcrossProcesses: the port lock is a flock, which another open file
// description (as another process has) cannot take while this process holds it.
func TestClaimIsExclusiveAcrossProcesses(t *testing.T) {
	ports, err := FreePorts(1)
	require.NoError(t, err)
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "kvplace-ports", strconv.Itoa(ports[0])+".lock"), os.O_RDWR, 0)
	require.NoError(t, err)
	defer f.Close()
	assert.Error(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB), "the lock is held")
}
