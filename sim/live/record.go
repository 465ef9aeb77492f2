package live

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// RecordHeader prints a recording's first line to w: the Redis version, the command that
// makes the recording (its name and flags, as given) and today's date in UTC, as
// "# Redis server v=7.0.15 …, record-x -runs 10, 2026-12-07".
func RecordHeader(w io.Writer, command string) {
	fmt.Fprintf(w, "# %s, %s, %s\n", Version(), command, time.Now().UTC().Format(time.DateOnly))
}

// RecordTrials runs the trials of a live recorder on clusters of each size in masters,
// each master with one replica: it takes 2·m free ports per size and calls trial(ports,
// m, k) for k from 1 to runs, printing to w the line each trial returns. A trial whose
// cluster did not come up (ErrSetup: at 60 masters on 2 cores the replicas can take over
// a minute to sync) says nothing about what is recorded: w gets "# trial k: <why>;
// again" and the trial runs again, up to three times. Any other error ends the recording,
// named by size and trial, and so does a missing redis-server (ErrNoRedis), which no
// retry mends.
func RecordTrials(w io.Writer, masters []int, runs int, trial func(ports []int, masters, k int) (string, error)) error {
	for _, m := range masters {
		ports, err := FreePorts(2 * m)
		if err != nil {
			return err
		}
		for k := 1; k <= runs; k++ {
			line, err := trial(ports, m, k)
			for retry := 1; errors.Is(err, ErrSetup) && !errors.Is(err, ErrNoRedis) && retry <= 3; retry++ {
				fmt.Fprintf(w, "# trial %d: %v; again\n", k, err)
				line, err = trial(ports, m, k)
			}
			if err != nil {
				return fmt.Errorf("%d masters, trial %d: %w", m, k, err)
			}
			fmt.Fprintln(w, line)
		}
	}
	return nil
}
