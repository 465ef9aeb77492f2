package plots

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/experiments"
)

// TestFailoverFiguresRepeat: the same run gives the same figure bytes, both figures are
// written, and an isolation gets its own names so the gallery can hold both; its writes
// are lost, so porcupine's picture of the first non-linearizable history is written too.
func TestFailoverFiguresRepeat(t *testing.T) {
	cfg := experiments.DefaultFailoverConfig()
	cfg.Runs, cfg.Fault = 3, "isolate"
	var dirs [2]string
	for i := range dirs {
		res, err := experiments.RunFailover(cfg)
		require.NoError(t, err)
		dirs[i] = t.TempDir()
		paths, err := FailoverFigures(res, dirs[i])
		require.NoError(t, err)
		var names []string
		for _, p := range paths {
			names = append(names, filepath.Base(p))
		}
		assert.Equal(t, []string{"failover-isolate-timeline.png", "failover-isolate-timeline.svg", "failover-isolate-distribution.png", "failover-isolate-distribution.svg", "failover-isolate-history.html"}, names)
	}
	for _, name := range []string{"failover-isolate-timeline.png", "failover-isolate-distribution.svg", "failover-isolate-history.html"} {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		require.NoError(t, err)
		assert.Equal(t, a, b, name)
	}
}

// TestMovementFiguresRepeat: the same movement run gives the same figure bytes.
func TestMovementFiguresRepeat(t *testing.T) {
	cfg := experiments.DefaultMovementConfig()
	cfg.To, cfg.Keys = 4, 1000
	cfg.Schemes, _ = experiments.ParseSchemes("modulo,ring:10,slots")
	// The run's own determinism is TestMovementRepeats' (package experiments); in -short
	// mode the figures are drawn twice from one run.
	res, err := experiments.RunMovement(cfg)
	require.NoError(t, err)
	var dirs [2]string
	for i := range dirs {
		if i > 0 && !testing.Short() {
			res, err = experiments.RunMovement(cfg)
			require.NoError(t, err)
		}
		dirs[i] = t.TempDir()
		paths, err := MovementFigures(res, dirs[i])
		require.NoError(t, err)
		assert.Len(t, paths, 10, "scale, crash, and one timeline per scheme, each PNG and SVG")
	}
	for _, name := range []string{"movement-scale.png", "movement-crash.svg", "movement-ring-10.png", "movement-slots.svg"} {
		a, err := os.ReadFile(filepath.Join(dirs[0], name))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dirs[1], name))
		require.NoError(t, err)
		assert.Equal(t, a, b, name)
	}
}

// TestMovementFiguresWithoutScaling: with -to equal to -from there are no scale steps, and
// only the crash figure and the scheme's timeline are drawn.
func TestMovementFiguresWithoutScaling(t *testing.T) {
	cfg := experiments.DefaultMovementConfig()
	cfg.To, cfg.Keys = 3, 300
	cfg.Schemes, _ = experiments.ParseSchemes("ring:10")
	res, err := experiments.RunMovement(cfg)
	require.NoError(t, err)
	paths, err := MovementFigures(res, t.TempDir())
	require.NoError(t, err)
	require.Len(t, paths, 4)
	assert.Equal(t, "movement-crash.png", filepath.Base(paths[0]))
	assert.Equal(t, "movement-ring-10.png", filepath.Base(paths[2]))
}

// TestFailoverSweepFigureRepeats: the same sweep gives the same figure bytes.
func TestFailoverSweepFigureRepeats(t *testing.T) {
	cfg := experiments.DefaultFailoverConfig()
	cfg.Runs, cfg.Load.Rate = 2, 0
	var svgs [2][]byte
	for i := range svgs {
		sw, err := experiments.RunFailoverSweep(cfg, []int{3, 4})
		require.NoError(t, err)
		dir := t.TempDir()
		paths, err := FailoverSweepFigure(sw, dir)
		require.NoError(t, err)
		require.Len(t, paths, 2)
		svgs[i], err = os.ReadFile(filepath.Join(dir, "failover-sweep.svg"))
		require.NoError(t, err)
	}
	assert.Equal(t, svgs[0], svgs[1])
}
