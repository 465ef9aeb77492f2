package command

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJSON(t *testing.T) {
	var b strings.Builder
	require.NoError(t, JSON(&b, map[string]int{"a": 1}))
	assert.Equal(t, "{\n  \"a\": 1\n}\n", b.String())
}

func TestFigures(t *testing.T) {
	write := func(dir string) ([]string, error) { return []string{dir + "/a.png", dir + "/a.svg"}, nil }
	var out, errs strings.Builder
	require.NoError(t, Figures("out", write, false, &out, &errs))
	assert.Equal(t, "Figures: out/a.png out/a.svg\n", out.String())
	assert.Empty(t, errs.String())

	out.Reset()
	require.NoError(t, Figures("out", write, true, &out, &errs))
	assert.Empty(t, out.String(), "stdout carries output for programs")
	assert.Equal(t, "Figures: out/a.png out/a.svg\n", errs.String())

	called := false
	require.NoError(t, Figures("", func(string) ([]string, error) { called = true; return nil, nil }, false, &out, &errs))
	assert.False(t, called, "no folder, no figures")

	boom := errors.New("boom")
	assert.ErrorIs(t, Figures("out", func(string) ([]string, error) { return nil, boom }, false, &out, &errs), boom)
}
