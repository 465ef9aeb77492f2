package command_test

import (
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/command"
)

func newFlags(out *strings.Builder) *flag.FlagSet {
	fs := flag.NewFlagSet("tool", flag.ContinueOnError)
	command.Setup(fs, out, "tool [flags] FILE", "Does one thing.")
	fs.Int("n", 1, "how many")
	return fs
}

// -h prints the usage, synopsis first, and exits 0; a bad flag or argument prints what is
// wrong and the usage and exits 2; any other error is printed once, after the name, and
// exits 1, without the name twice when the error already starts with it.
func TestExitStatuses(t *testing.T) {
	var out, stderr strings.Builder
	err := command.Parse(newFlags(&out), []string{"-h"})
	assert.Equal(t, 0, command.Exit("tool", err, &stderr))
	assert.True(t, strings.HasPrefix(out.String(), "usage: tool [flags] FILE\n\nDoes one thing.\n\nflags:\n  -n int\n"), out.String())
	assert.Empty(t, stderr.String())

	out.Reset()
	err = command.Parse(newFlags(&out), []string{"-m"})
	assert.Equal(t, 2, command.Exit("tool", err, &stderr))
	assert.Contains(t, out.String(), "flag provided but not defined: -m\nusage: tool [flags] FILE\n")

	out.Reset()
	fs := newFlags(&out)
	err = command.Usagef(fs, "no FILE")
	assert.Equal(t, 2, command.Exit("tool", err, &stderr))
	assert.True(t, strings.HasPrefix(out.String(), "tool: no FILE\nusage: tool [flags] FILE\n"), out.String())
	assert.Empty(t, stderr.String(), "usage errors are printed once, with the usage")

	assert.Equal(t, 1, command.Exit("tool", errors.New("tool: -n 0: want at least 1"), &stderr))
	assert.Equal(t, 1, command.Exit("tool", errors.New("open x: no such file"), &stderr))
	assert.Equal(t, "tool: -n 0: want at least 1\ntool: open x: no such file\n", stderr.String())
	assert.Equal(t, 0, command.Exit("tool", nil, &stderr))
}

// Progress goes to a terminal only: not to a buffer, a file or a pipe.
func TestProgressOnlyToATerminal(t *testing.T) {
	assert.Nil(t, command.Progress(&strings.Builder{}))
	f, err := os.CreateTemp(t.TempDir(), "log")
	require.NoError(t, err)
	defer f.Close()
	assert.Nil(t, command.Progress(f), "a log file gets no progress")
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	defer w.Close()
	assert.Nil(t, command.Progress(w), "a pipe gets no progress")
	tty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal to try the positive case: %v", err)
	}
	defer tty.Close()
	assert.Equal(t, tty, command.Progress(tty), "a terminal gets progress")
}

// Given tells a flag set on the command line from one left at its default.
func TestGiven(t *testing.T) {
	var out strings.Builder
	fs := newFlags(&out)
	require.NoError(t, command.Parse(fs, []string{"-n", "1"}))
	assert.True(t, command.Given(fs, "n"), "given, even at its default value")
	fs = newFlags(&out)
	require.NoError(t, command.Parse(fs, nil))
	assert.False(t, command.Given(fs, "n"))
}
