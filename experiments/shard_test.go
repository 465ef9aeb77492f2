package experiments_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/experiments"
)

func TestParseShard(t *testing.T) {
	s, err := experiments.ParseShard("1/3")
	require.NoError(t, err)
	assert.Equal(t, experiments.Shard{Index: 1, Count: 3}, s)
	assert.True(t, s.Has(4) && !s.Has(3) && s.Has(1))
	for _, bad := range []string{"3/3", "-1/2", "1", "a/2", "0/0", "1/b"} {
		_, err := experiments.ParseShard(bad)
		assert.Error(t, err, bad)
	}
	assert.True(t, experiments.Shard{}.Has(7), "the zero Shard is the whole run")
}

func TestShardFromEnv(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, c := range []struct {
		env   []string
		count int
		want  experiments.Shard
		err   string
	}{
		{env: nil, want: experiments.Shard{}},
		{env: []string{"JOB_COMPLETION_INDEX", "2", "KVPLACE_SHARDS", "4"}, want: experiments.Shard{Index: 2, Count: 4}},
		{env: []string{"JOB_COMPLETION_INDEX", "2"}, count: 3, want: experiments.Shard{Index: 2, Count: 3}},
		{env: []string{"JOB_COMPLETION_INDEX", "2"}, err: "array job: the number of shards is not known: set KVPLACE_SHARDS (or -shards)"},
		{env: []string{"JOB_COMPLETION_INDEX", "5", "KVPLACE_SHARDS", "4"}, err: "array job: shard 5/4: want 0 ≤ I < N"},
		{env: []string{"SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "4"}, want: experiments.Shard{Index: 2, Count: 4}},
		{env: []string{"SLURM_ARRAY_TASK_ID", "x", "SLURM_ARRAY_TASK_COUNT", "4"}, err: `array job: SLURM_ARRAY_TASK_ID="x": want a whole number ≥ 0`},
		{env: []string{"AWS_BATCH_JOB_ARRAY_INDEX", "0", "AWS_BATCH_JOB_ARRAY_SIZE", "2"}, want: experiments.Shard{Index: 0, Count: 2}},
		{env: []string{"AWS_BATCH_JOB_ARRAY_INDEX", "0", "AWS_BATCH_JOB_ARRAY_SIZE", "0"}, err: `array job: AWS_BATCH_JOB_ARRAY_SIZE="0": want at least 1`},
	} {
		s, ok, err := experiments.ShardFromEnv(env(c.env...), c.count)
		if c.err != "" {
			assert.EqualError(t, err, c.err, "%v", c.env)
			continue
		}
		require.NoError(t, err, "%v", c.env)
		assert.Equal(t, c.env != nil, ok, "%v", c.env)
		assert.Equal(t, c.want, s, "%v", c.env)
	}
}
