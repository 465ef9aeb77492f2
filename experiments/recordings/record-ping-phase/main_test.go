package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestViewOf(t *testing.T) {
	text := "bbb 127.0.0.1:7001@17001 slave aaa 0 1700000000500 1 connected\n" +
		"aaa 127.0.0.1:7000@17000 master - 1700000000123 1700000000000 1 connected 0-5460\n"
	r, err := viewOf(text, "aaa")
	require.NoError(t, err)
	assert.Equal(t, read{pingSent: 1700000000123, pongRecv: 1700000000000}, r, "the replica's line names aaa too, but is not aaa's")
	_, err = viewOf(text, "ccc")
	assert.EqualError(t, err, "CLUSTER NODES has no line for ccc")
	_, err = viewOf("aaa 127.0.0.1:7000@17000 master - x 0 1 connected\n", "aaa")
	assert.ErrorContains(t, err, `CLUSTER NODES line "aaa 127.0.0.1:7000@17000 master - x 0 1 connected\n"`)
}

func TestSummary(t *testing.T) {
	const kill = 1_000_000_700
	reads := []read{
		{at: kill - 300, master: 0, pongRecv: 1_000_000_000},
		{at: kill - 200, master: 1, pongRecv: 999_999_120},
		{at: kill - 100, master: 0, pongRecv: 1_000_000_500},
		{at: kill + 10, master: 0, pingSent: kill - 40}, // sent before the kill, unanswered
		{at: kill + 20, master: 1},
		{at: kill + 310, master: 1, pingSent: kill + 300},
		{at: kill + 320, master: 0, pingSent: kill - 40}, // the same ping, read again
	}
	assert.Equal(t, "kill_phase_ms=700 pong_phase_p10=0 pong_phase_p50=120 pong_phase_p90=120 pong_phase_p99=120 pending_at_kill=1 first_pings_ms=-40,300", summary(reads, kill))
}
