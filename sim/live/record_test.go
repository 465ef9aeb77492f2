package live

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecordTrials(t *testing.T) {
	var out strings.Builder
	calls := map[string]int{}
	err := RecordTrials(&out, []int{3, 4}, 2, func(ports []int, masters, k int) (string, error) {
		require.Len(t, ports, 2*masters)
		key := fmt.Sprint(masters, "/", k)
		calls[key]++
		if key == "4/1" && calls[key] < 3 {
			return "", fmt.Errorf("%w: replicas not in sync", ErrSetup)
		}
		return fmt.Sprintf("masters=%d trial=%d", masters, k), nil
	})
	require.NoError(t, err)
	assert.Equal(t, "masters=3 trial=1\nmasters=3 trial=2\n"+
		"# trial 1: live: the cluster did not come up: replicas not in sync; again\n"+
		"# trial 1: live: the cluster did not come up: replicas not in sync; again\n"+
		"masters=4 trial=1\nmasters=4 trial=2\n", out.String())

	// A setup that never works is given up after three retries; any other error at once.
	n := 0
	err = RecordTrials(&out, []int{3}, 1, func([]int, int, int) (string, error) { n++; return "", ErrSetup })
	assert.ErrorIs(t, err, ErrSetup)
	assert.Equal(t, 4, n)
	n = 0
	err = RecordTrials(&out, []int{3}, 1, func([]int, int, int) (string, error) {
		n++
		return "", fmt.Errorf("%w: %w", ErrSetup, ErrNoRedis)
	})
	assert.ErrorIs(t, err, ErrNoRedis)
	assert.Equal(t, 1, n, "no retry without redis-server")
	boom := errors.New("boom")
	err = RecordTrials(&out, []int{5}, 3, func(_ []int, _, k int) (string, error) {
		if k == 2 {
			return "", boom
		}
		return "x", nil
	})
	assert.ErrorIs(t, err, boom)
	assert.EqualError(t, err, "5 masters, trial 2: boom")
}
