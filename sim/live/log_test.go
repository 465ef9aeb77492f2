package live

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "redis.log")
	text := `                _._
3075:C 05 Dec 2026 06:58:59.012 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo
3075:M 05 Dec 2026 06:58:59.969 # Failover election won: I'm the new master.
3076:S 05 Dec 2026 06:59:00.001 * Connecting to MASTER 127.0.0.1:7101
not a log line
`
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	lines, err := ReadLog(path)
	require.NoError(t, err)
	require.Len(t, lines, 3)
	assert.Equal(t, "Failover election won: I'm the new master.", lines[1].Text)
	assert.Equal(t, 32*time.Millisecond, lines[2].At.Sub(lines[1].At))
	_, err = ReadLog(filepath.Join(t.TempDir(), "none.log"))
	assert.Error(t, err)
}

func TestLoad1(t *testing.T) {
	l := Load1()
	if _, err := os.Stat("/proc/loadavg"); err != nil {
		assert.Equal(t, "?", l)
		return
	}
	assert.Regexp(t, `^\d+\.\d+$`, l)
}
