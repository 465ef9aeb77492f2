package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/command"
)

// With no runbook, the command replays the seed tutorial and says so on stderr.
func TestNoRunbookReplaysTheSeedTutorial(t *testing.T) {
	var out, errs bytes.Buffer
	require.NoError(t, run(nil, strings.NewReader(""), &out, &errs))
	assert.Contains(t, errs.String(), "replaying the seed tutorial")
	assert.Contains(t, errs.String(), "seed 1")
	assert.Contains(t, out.String(), "MOVED 12706 127.0.0.1:6383")
}

func TestBadArguments(t *testing.T) {
	var out, errs bytes.Buffer
	err := run([]string{"a.txt", "b.txt"}, strings.NewReader(""), &out, &errs)
	assert.True(t, command.IsUsage(err), "two runbooks are bad usage (exit 2): %v", err)
	assert.Contains(t, errs.String(), "scenario: one runbook at most, got 2\nusage: scenario [flags] [FILE]\n")
	assert.Error(t, run([]string{"no-such-runbook.txt"}, strings.NewReader(""), &out, &errs))
}
