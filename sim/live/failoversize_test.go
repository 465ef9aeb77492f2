package live

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlagsOf(t *testing.T) {
	text := "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n" +
		"67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master,fail? - 1426238316232 1426238314000 2 connected 5461-10922\n"
	flags, ok := FlagsOf(text, "67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1")
	assert.True(t, ok)
	assert.Equal(t, map[string]bool{"master": true, "fail?": true}, flags)
	// An ID that appears only as a replica's master is not found: that line is the
	// replica's. (The recorder once read it as the master's, and so never saw a PFAIL on
	// the masters that list the victim's replica before the victim.)
	_, ok = FlagsOf(text, "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca")
	assert.False(t, ok)
	// The master's own line, after its replica's.
	text = "b1 127.0.0.1:30004@31004 slave a1 0 1 4 connected\na1 127.0.0.1:30001@31001 master,fail - 1 1 1 connected 0-5460\n"
	flags, ok = FlagsOf(text, "a1")
	assert.True(t, ok)
	assert.Equal(t, map[string]bool{"master": true, "fail": true}, flags)
	_, ok = FlagsOf(text, "0000000000000000000000000000000000000000")
	assert.False(t, ok)
}

func TestPingPong(t *testing.T) {
	text := "07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected\n" +
		"e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30002@31002 master,fail? - 1426238316232 1426238314000 2 connected 5461-10922\n"
	ping, pong, err := PingPong(text, "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca")
	require.NoError(t, err)
	assert.Equal(t, []int64{1426238316232, 1426238314000}, []int64{ping, pong}, "the master's own line, not its replica's")
	_, _, err = PingPong(text, "0000000000000000000000000000000000000000")
	assert.ErrorContains(t, err, "does not list 0000000000000000000000000000000000000000")
	_, _, err = PingPong("a1 127.0.0.1:30001@31001 master - x 1 1 connected\n", "a1")
	assert.ErrorContains(t, err, "ping_sent of a1")
	_, _, err = PingPong("a1 127.0.0.1:30001@31001 master\n", "a1")
	assert.ErrorContains(t, err, "line of a1 has 3 fields")
}

func TestCPUBusy(t *testing.T) {
	before := CPUTimes{Idle: 100, Total: 200}
	assert.InDelta(t, 0.75, CPUTimes{Idle: 125, Total: 300}.BusySince(before), 1e-9)
	assert.Zero(t, before.BusySince(before), "no time passed")
	if _, err := ReadCPU(); err != nil {
		t.Skipf("no /proc/stat here: %v", err)
	}
}
