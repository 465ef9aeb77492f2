package experiments

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInParallelKeepsOrder(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 100} {
		var calls []int
		out, err := inParallel(10, workers, func(i int) (string, error) { return fmt.Sprint(i * i), nil },
			func(done int) { calls = append(calls, done) })
		require.NoError(t, err)
		assert.Equal(t, []string{"0", "1", "4", "9", "16", "25", "36", "49", "64", "81"}, out, "workers %d", workers)
		assert.Equal(t, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, calls, "finished is called once per run, in turn")
	}
	out, err := inParallel(0, 2, func(int) (int, error) { panic("no runs") }, nil)
	require.NoError(t, err)
	assert.Empty(t, out)
}

// TestInParallelFirstError: the error reported is the failed run's with the lowest index,
// however the runs were scheduled, and runs after a failure are not started.
func TestInParallelFirstError(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		started := make([]bool, 50)
		_, err := inParallel(50, workers, func(i int) (int, error) {
			started[i] = true // each index is run by one goroutine only
			if i == 7 || i == 9 {
				return 0, fmt.Errorf("run %d: %w", i, errBoom)
			}
			return i, nil
		}, nil)
		require.ErrorIs(t, err, errBoom)
		assert.EqualError(t, err, "run 7: boom", "workers %d", workers)
		assert.False(t, started[49], "workers %d: the runs went on after a failure", workers)
	}
}

var errBoom = errors.New("boom")
