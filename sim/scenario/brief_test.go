package scenario

import (
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBriefFoldsRedisCLIsSlotLines feeds redis-cli 7.0.15's per-slot lines (its printf
// formats: "    Moving slot %d from %s\n" in the plan, "Moving slot %d from %s:%d to
// %s:%d: " and a dot per batch as it moves) in pieces that split lines, and checks the
// folds and that every other line passes through in order.
func TestBriefFoldsRedisCLIsSlotLines(t *testing.T) {
	in := "Resharding plan:\n" +
		"    Moving slot 5 from aaa\n    Moving slot 6 from aaa\n    Moving slot 9 from aaa\n" +
		"    Moving slot 1 from bbb\n" +
		"Moving slot 5 from 127.0.0.1:1 to 127.0.0.1:3: ..\n" +
		"Moving slot 6 from 127.0.0.1:1 to 127.0.0.1:3: \n" +
		"Moving slot 9 from 127.0.0.1:1 to 127.0.0.1:3: .\n" +
		"Moving slot 1 from 127.0.0.1:2 to 127.0.0.1:3: \n" +
		"[OK] All 16384 slots covered.\n" +
		"no newline at the end"
	var out bytes.Buffer
	bw := newBriefWriter(&out)
	for i := 0; i < len(in); i += 7 {
		n, err := bw.Write([]byte(in[i:min(i+7, len(in))]))
		require.NoError(t, err)
		require.Equal(t, min(7, len(in)-i), n)
	}
	require.NoError(t, bw.Close())
	assert.Equal(t, "Resharding plan:\n"+
		"    Moving 3 slots from aaa: 5-6,9\n"+
		"    Moving 1 slot from bbb: 1\n"+
		"Moving 3 slots from 127.0.0.1:1 to 127.0.0.1:3: 5-6,9 ...\n"+
		"Moving 1 slot from 127.0.0.1:2 to 127.0.0.1:3: 1\n"+
		"[OK] All 16384 slots covered.\n"+
		"no newline at the end", out.String())
}

// TestBriefSeedRunbook: -brief on the seed's replay keeps every line but the per-slot
// ones, in order, and its folds account for every slot and every dot of the full run.
func TestBriefSeedRunbook(t *testing.T) {
	full := runSim(t, parseFile(t, seedRunbook), cleanSeed)
	// Options.Brief wraps the run's writer in a briefWriter (experiments/scenario's
	// TestTraceAndBrief runs it through the flag); folding the full transcript is the same.
	var brief bytes.Buffer
	bw := newBriefWriter(&brief)
	_, err := io.WriteString(bw, full)
	require.NoError(t, err)
	require.NoError(t, bw.Close())

	perSlot := regexp.MustCompile(`^(    )?Moving slot \d+ from `)
	folded := regexp.MustCompile(`^(    )?Moving (\d+) slots? from \S+( to \S+)?: [\d,-]+( (\.+))?$`)
	var keptFull, keptBrief []string
	slotsFull, dotsFull, slotsBrief, dotsBrief := 0, 0, 0, 0
	for _, l := range strings.Split(full, "\n") {
		if perSlot.MatchString(l) {
			slotsFull++
			if _, dots, ok := strings.Cut(l, ": "); ok { // a move's line, not the plan's
				dotsFull += len(dots)
			}
			continue
		}
		keptFull = append(keptFull, l)
	}
	for _, l := range strings.Split(brief.String(), "\n") {
		if m := folded.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[2])
			slotsBrief += n
			dotsBrief += len(m[5])
			continue
		}
		keptBrief = append(keptBrief, l)
	}
	assert.Equal(t, keptFull, keptBrief)
	assert.Equal(t, 2*(4096+4096), slotsFull, "the plan's line and the move's, for 4096 slots out and back")
	assert.Equal(t, slotsFull, slotsBrief)
	assert.Equal(t, dotsFull, dotsBrief)
	assert.Less(t, strings.Count(brief.String(), "\n"), 400, "the seed's replay in brief")
}
