package experiments

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// A FailoverLine is one line of failover's -jsonl output: one run, with the configuration
// of the whole run it is part of, so that shards written by separate jobs can be merged
// and checked (MergeFailover). The first run (Index 0) carries the timeline of its
// requests, which the figures draw.
type FailoverLine struct {
	Config   FailoverConfig `json:"config"`
	Index    int            `json:"index"` // the run's index; its seed is Config.Seed + Index
	Run      FailoverTiming `json:"run"`
	Timeline []AppRequest   `json:"timeline,omitempty"`
}

// WriteFailoverJSONL writes one FailoverLine per run of res, by run index.
func WriteFailoverJSONL(w io.Writer, res *FailoverResult) error {
	if res == nil {
		return errors.New("failover: no result")
	}
	enc := json.NewEncoder(w)
	for _, r := range res.Runs {
		line := FailoverLine{Config: res.Config, Index: int(r.Seed - res.Config.Seed), Run: r}
		if line.Index == 0 {
			line.Timeline = res.Timeline
		}
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	return nil
}

// MergeFailover reads the -jsonl output of the shards of one run, named names[i] in
// errors, and returns the result the unsharded run gives: every run once, by index, and the
// summaries over all of them. The shards must share one configuration and together hold
// each of its runs exactly once.
func MergeFailover(names []string, files []io.Reader) (*FailoverResult, error) {
	var cfg *FailoverConfig
	var first string
	byIndex := map[int]FailoverLine{}
	from := map[int]string{}
	for f, r := range files {
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<30) // the first run's line holds its whole timeline
		for n := 1; sc.Scan(); n++ {
			where := fmt.Sprintf("%s:%d", names[f], n)
			var line FailoverLine
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
				return nil, fmt.Errorf("failover: %s: %w", where, err)
			}
			c := line.Config
			if cfg == nil {
				cfg, first = &c, where
				if err := cfg.Validate(); err != nil {
					return nil, fmt.Errorf("%s: %w", where, err)
				}
			} else if !sameFailoverConfig(*cfg, c) {
				return nil, fmt.Errorf("failover: %s: a run of another configuration than %s's", where, first)
			}
			if line.Index < 0 || line.Index >= cfg.Runs || line.Run.Seed != cfg.Seed+uint64(line.Index) {
				return nil, fmt.Errorf("failover: %s: run %d (seed %d) is not one of the %d runs from seed %d", where, line.Index, line.Run.Seed, cfg.Runs, cfg.Seed)
			}
			if prev, dup := from[line.Index]; dup {
				return nil, fmt.Errorf("failover: %s: run %d is in %s already", where, line.Index, prev)
			}
			byIndex[line.Index], from[line.Index] = line, where
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("failover: %s: %w", names[f], err)
		}
	}
	if cfg == nil {
		return nil, errors.New("failover: no run to merge")
	}
	var missing []int
	for i := range cfg.Runs {
		if _, ok := byIndex[i]; !ok {
			missing = append(missing, i)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("failover: %d of the %d runs are missing, among them run %d (seed %d): is a shard's file absent?", len(missing), cfg.Runs, missing[0], cfg.Seed+uint64(missing[0]))
	}
	res := &FailoverResult{Config: *cfg}
	for _, i := range slices.Sorted(maps.Keys(byIndex)) {
		res.Runs = append(res.Runs, byIndex[i].Run)
	}
	res.Timeline = byIndex[0].Timeline
	return res, res.summarise()
}

// sameFailoverConfig compares what the JSON lines carry of two configurations.
func sameFailoverConfig(a, b FailoverConfig) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
