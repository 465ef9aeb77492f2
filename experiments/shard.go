package experiments

import (
	"fmt"
	"strconv"
	"strings"
)

// A Shard is one part of a run of many seeds, for array jobs on a batch system: shard
// Index of Count runs the runs whose index i has i % Count == Index, so that the shards are
// disjoint and together are the whole run. The zero Shard (Count 0) is the whole run.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// Whole reports whether s is the whole run.
func (s Shard) Whole() bool { return s.Count <= 1 }

// Has reports whether run i is s's.
func (s Shard) Has(i int) bool { return s.Whole() || i%s.Count == s.Index }

func (s Shard) String() string {
	if s.Whole() {
		return "all runs"
	}
	return fmt.Sprintf("shard %d/%d", s.Index, s.Count)
}

// Validate refuses an index outside [0, Count).
func (s Shard) Validate() error {
	if s.Count < 0 || (s.Count > 0 && (s.Index < 0 || s.Index >= s.Count)) {
		return fmt.Errorf("shard %d/%d: want 0 ≤ I < N", s.Index, s.Count)
	}
	return nil
}

// ParseShard reads "I/N", shard I of N (0 ≤ I < N).
func ParseShard(text string) (Shard, error) {
	i, n, ok := strings.Cut(text, "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want I/N, shard I (from 0) of N", text)
	}
	index, err1 := strconv.Atoi(strings.TrimSpace(i))
	count, err2 := strconv.Atoi(strings.TrimSpace(n))
	if err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		return Shard{}, fmt.Errorf("shard %q: want I/N with 0 ≤ I < N", text)
	}
	return Shard{Index: index, Count: count}, nil
}

// ShardCountEnv names the variable that gives the number of shards where the batch system
// does not: a Kubernetes Indexed Job sets JOB_COMPLETION_INDEX but not its completions.
const ShardCountEnv = "KVPLACE_SHARDS"

// ArrayIndexVars are the variables by which batch systems tell an array job's task its
// index, in the order ShardFromEnv reads them.
var ArrayIndexVars = []string{"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "AWS_BATCH_JOB_ARRAY_INDEX"}

// ArrayIndexVar returns the first of ArrayIndexVars that getenv finds set, or "".
func ArrayIndexVar(getenv func(string) string) string {
	for _, name := range ArrayIndexVars {
		if getenv(name) != "" {
			return name
		}
	}
	return ""
}

// ShardFromEnv reads the shard an array job's task is, from the variables batch systems
// set, with getenv (os.Getenv): Kubernetes Indexed Jobs' JOB_COMPLETION_INDEX (with the
// count in KVPLACE_SHARDS, or count when it is not 0), Slurm's SLURM_ARRAY_TASK_ID and
// SLURM_ARRAY_TASK_COUNT (from SLURM_ARRAY_TASK_MIN, which Slurm arrays may start above 0),
// or AWS Batch's AWS_BATCH_JOB_ARRAY_INDEX (with AWS_BATCH_JOB_ARRAY_SIZE, KVPLACE_SHARDS
// or count). It returns false when none is set; a variable that is set but wrong is an
// error naming it.
func ShardFromEnv(getenv func(string) string, count int) (Shard, bool, error) {
	num := func(name string) (int, error) {
		v, err := strconv.Atoi(strings.TrimSpace(getenv(name)))
		if err != nil || v < 0 {
			return 0, fmt.Errorf("%s=%q: want a whole number ≥ 0", name, getenv(name))
		}
		return v, nil
	}
	total := func(names ...string) (int, error) {
		for _, name := range names {
			if getenv(name) != "" {
				n, err := num(name)
				if err == nil && n < 1 {
					err = fmt.Errorf("%s=%q: want at least 1", name, getenv(name))
				}
				return n, err
			}
		}
		if count > 0 {
			return count, nil
		}
		return 0, fmt.Errorf("the number of shards is not known: set %s (or -shards)", ShardCountEnv)
	}
	var s Shard
	var err error
	switch {
	case getenv("JOB_COMPLETION_INDEX") != "":
		if s.Index, err = num("JOB_COMPLETION_INDEX"); err == nil {
			s.Count, err = total(ShardCountEnv)
		}
	case getenv("SLURM_ARRAY_TASK_ID") != "":
		if s.Index, err = num("SLURM_ARRAY_TASK_ID"); err != nil {
			break
		}
		if getenv("SLURM_ARRAY_TASK_MIN") != "" {
			var low int
			if low, err = num("SLURM_ARRAY_TASK_MIN"); err != nil {
				break
			}
			s.Index -= low
		}
		s.Count, err = total("SLURM_ARRAY_TASK_COUNT", ShardCountEnv)
	case getenv("AWS_BATCH_JOB_ARRAY_INDEX") != "":
		if s.Index, err = num("AWS_BATCH_JOB_ARRAY_INDEX"); err == nil {
			s.Count, err = total("AWS_BATCH_JOB_ARRAY_SIZE", ShardCountEnv)
		}
	default:
		return Shard{}, false, nil
	}
	if err == nil {
		err = s.Validate()
	}
	if err != nil {
		return Shard{}, true, fmt.Errorf("array job: %w", err)
	}
	return s, true, nil
}
