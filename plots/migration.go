package plots

import (
	"fmt"
	"image/color"
	"math"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kvplace/kvplace/experiments"
	"github.com/kvplace/kvplace/sim/cluster"
)

// MigrationFigures draws the figures of a migration run and writes them to dir as PNG and
// SVG: migration-stall (how long a MIGRATE holds its source against the value's size,
// simulated as a line and recorded on real Redis as dots, with the run's node timeouts)
// and migration-timeline (the application's GETs through the reshard of the run kept,
// the first that failed a master over). It returns the paths written.
func MigrationFigures(res *experiments.MigrationResult, dir string) ([]string, error) {
	stall, err := stallFigure(res)
	if err != nil {
		return nil, err
	}
	figs := []Figure{stall}
	if tl, ok, err := migrationTimelineFigure(res); err != nil {
		return nil, err
	} else if ok {
		figs = append(figs, tl)
	}
	return saveAll(figs, dir)
}

// stallSizes are the sizes the simulated curves are drawn at: the recording's range, three
// points a decade; a string's in bytes, a collection's in elements.
var stallSizes = map[string][]int{
	"string":     {1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6, 1e7, 3e7, 1e8, 3e8},
	"collection": {1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6, 3e6},
}

// stallFigure draws two panels: a string by its bytes, and the collections (hash, list,
// set, sorted set) by their elements, each a simulated curve and the recording's runs.
func stallFigure(res *experiments.MigrationResult) (Figure, error) {
	recorded := cluster.RecordedMigrates()
	var panels []*plot.Plot
	for _, panel := range [][]string{{"string"}, {"hash", "list", "set", "zset"}} {
		p := plot.New()
		sizes := stallSizes["collection"]
		if panel[0] == "string" {
			sizes = stallSizes["string"]
			p.Title.Text = fmt.Sprintf("How long one MIGRATE holds its source (host slowdown %g): a string, by its bytes …", res.Config.Slowdown)
			p.X.Label.Text = "string size, bytes"
		} else {
			p.Title.Text = "… and a collection, by its elements (`load` writes them)"
			p.X.Label.Text = "collection size, elements"
		}
		p.Y.Label.Text = "source blocked, s"
		lo, hi := math.Inf(1), 0.0
		for k, typ := range panel {
			var sim plotter.XYs
			for _, n := range sizes {
				d, err := experiments.SimulatedMigrate(typ, n, res.Config.Slowdown)
				if err != nil {
					return Figure{}, err
				}
				sim = append(sim, plotter.XY{X: float64(n), Y: d.Seconds()})
			}
			var real plotter.XYs
			for _, r := range recorded {
				if r.Type == typ {
					real = append(real, plotter.XY{X: float64(r.Size), Y: r.Blocked.Seconds()})
				}
			}
			line, err := plotter.NewLine(sim)
			if err != nil {
				return Figure{}, err
			}
			line.Color, line.Width = colour(k), vg.Points(1.5)
			dots, err := plotter.NewScatter(real)
			if err != nil {
				return Figure{}, err
			}
			dots.Color, dots.Shape, dots.Radius = colour(k), draw.CircleGlyph{}, vg.Points(2)
			p.Add(line, dots)
			if len(panel) == 1 {
				p.Legend.Add("simulated (median of 3 seeds)", line)
				p.Legend.Add("real redis-server 7.0.15, each run", dots)
			} else {
				p.Legend.Add(typ+": simulated (line), real runs (dots)", line, dots)
			}
			for _, xy := range append(append(plotter.XYs{}, sim...), real...) {
				lo, hi = min(lo, xy.X), max(hi, xy.X)
			}
		}
		for i, t := range res.Config.NodeTimeouts {
			l, err := plotter.NewLine(plotter.XYs{{X: lo, Y: t.Seconds()}, {X: hi, Y: t.Seconds()}})
			if err != nil {
				return Figure{}, err
			}
			l.LineStyle = dashed(colour(4 + i))
			p.Add(l)
			p.Legend.Add("node timeout "+t.String(), l)
		}
		logLog(p)
		p.Legend.XOffs = -vg.Points(4) // bottom right, where the data rising to the right leaves room
		p.Add(plotter.NewGrid())
		panels = append(panels, p)
	}
	return Figure{Name: "migration-stall", Plots: panels, Width: 8 * vg.Inch, Height: 9 * vg.Inch}, nil
}

// migrationTimelineFigure draws the GETs answered and failed per second through the run
// kept, with what the cluster did marked; ok is false when no run kept a timeline.
func migrationTimelineFigure(res *experiments.MigrationResult) (Figure, bool, error) {
	var run *experiments.MigrationRun
	for i := range res.Runs {
		if len(res.Runs[i].Timeline) > 0 {
			run = &res.Runs[i]
			break
		}
	}
	if run == nil {
		return Figure{}, false, nil
	}
	const slice = 100 * time.Millisecond
	perSecond := float64(time.Second / slice)
	ok, failed := make(plotter.XYs, len(run.Timeline)), make(plotter.XYs, len(run.Timeline))
	ymax := 0.0
	for i, s := range run.Timeline {
		x := (float64(i) + 0.5) * slice.Seconds()
		ok[i] = plotter.XY{X: x, Y: float64(s.Requests-s.Failed) * perSecond}
		failed[i] = plotter.XY{X: x, Y: float64(s.Failed) * perSecond}
		ymax = max(ymax, ok[i].Y, failed[i].Y)
	}
	p := plot.New()
	what := "no master failed over"
	if len(run.FailedOver) > 0 {
		what = fmt.Sprintf("%v failed over", run.FailedOver)
	}
	p.Title.Text = fmt.Sprintf("The reshard (%s) at node timeout %v, pipeline %d, seed %d: %s", run.Scheme, run.NodeTimeout, run.Pipeline, run.Seed, what)
	p.X.Label.Text = "seconds from the reshard's start"
	p.Y.Label.Text = "GETs/s"
	for _, s := range []struct {
		name string
		xys  plotter.XYs
		c    color.Color
	}{{"answered", ok, colour(2)}, {"failed", failed, colour(5)}} {
		l, err := plotter.NewLine(s.xys)
		if err != nil {
			return Figure{}, false, err
		}
		l.Color, l.Width = s.c, vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.name, l)
	}
	for i, m := range run.Marks {
		x := m.At.Seconds()
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: ymax * 1.1}})
		if err != nil {
			return Figure{}, false, err
		}
		l.LineStyle = dashed(colour(i % 8))
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%.2f s %s", x, m.What), l)
	}
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(4)
	p.Y.Min, p.Y.Max = 0, ymax*1.8
	p.X.Tick.Marker = linearTicks{}
	p.Add(plotter.NewGrid())
	return Figure{Name: "migration-timeline", Plots: []*plot.Plot{p}, Width: 9 * vg.Inch, Height: 5 * vg.Inch}, true, nil
}
