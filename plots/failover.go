package plots

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kvplace/kvplace/experiments"
)

// FailoverFigures draws the figures of a failover run and writes them to dir as PNG and
// SVG (named failover-isolate-… for an isolation): failover-timeline (what the application saw in the first run, request by request,
// with the moments of PFAIL, FAIL and promotion; only under load) and
// failover-distribution (the spread of each phase over all runs, next to real Redis when
// it was recorded at the run's node timeout), and when a run's history is not
// linearizable, failover-history.html, porcupine's picture of it. It returns the paths
// written.
func FailoverFigures(res *experiments.FailoverResult, dir string) ([]string, error) {
	var figs []Figure
	if len(res.Timeline) > 0 {
		f, err := timelineFigure(res)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	f, err := distributionFigure(res)
	if err != nil {
		return nil, err
	}
	figs = append(figs, f)
	paths, err := saveAll(figs, dir)
	if err != nil || res.FirstAnomaly == nil {
		return paths, err
	}
	path, err := saveHistory(res, dir)
	if err != nil {
		return nil, err
	}
	return append(paths, path), nil
}

// saveHistory writes porcupine's picture of the first non-linearizable run's history (its
// first twenty anomalous keys) to dir, as failover[-FAULT]-history.html.
func saveHistory(res *experiments.FailoverResult, dir string) (path string, err error) {
	path = filepath.Join(dir, failoverName(res, "history")+".html")
	f, err := os.Create(path)
	if err != nil {
		return "", fmt.Errorf("plots: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	if err := res.FirstAnomaly.WriteHTML(f, 20); err != nil {
		return "", fmt.Errorf("plots: writing %s: %w", path, err)
	}
	return path, nil
}

// timelineBucket is the width of one point of the timeline: fine enough to show the
// cluster-wide CLUSTERDOWN between FAIL and promotion, coarse enough to hold tens of
// requests at the default load.
const timelineBucket = 50 * time.Millisecond

// timelineFigure has two panels, the failed master's slots and all other slots, each with
// the rate of requests per bucket that were answered (first try or after a redirect),
// failed, or (writes) acknowledged and then lost.
func timelineFigure(res *experiments.FailoverResult) (Figure, error) {
	run := res.Runs[0]
	var end time.Duration
	for _, r := range res.Timeline {
		end = max(end, r.Sent)
	}
	n := int(end / timelineBucket) // whole buckets only: the last one is cut by the end of the load
	perSecond := float64(time.Second / timelineBucket)
	var panels []*plot.Plot
	for _, victim := range []bool{true, false} {
		ok, failed, lost := make(plotter.XYs, n), make(plotter.XYs, n), make(plotter.XYs, n)
		for i := range n {
			x := (float64(i) + 0.5) * timelineBucket.Seconds()
			ok[i].X, failed[i].X, lost[i].X = x, x, x
		}
		anyLost := false
		for _, r := range res.Timeline {
			if r.Victim != victim || r.Sent < 0 {
				continue
			}
			i := int(r.Sent / timelineBucket)
			if i >= n {
				continue
			}
			switch {
			case r.Failed():
				failed[i].Y += perSecond
			case r.Lost:
				lost[i].Y += perSecond
				anyLost = true
			default:
				ok[i].Y += perSecond
			}
		}
		p := plot.New()
		if victim {
			p.Title.Text = fmt.Sprintf("Seed %d, %s at t = 0: requests on the failed master's slots", run.Seed, res.Config.Fault)
		} else {
			p.Title.Text = "Requests on every other slot"
		}
		p.X.Label.Text = "seconds after the fault"
		p.Y.Label.Text = "requests/s"
		lines := []struct {
			name   string
			xys    plotter.XYs
			colour int
		}{{"answered", ok, 2}, {"failed", failed, 5}}
		if anyLost {
			lines = append(lines, struct {
				name   string
				xys    plotter.XYs
				colour int
			}{"acknowledged, then lost", lost, 6})
		}
		for _, s := range lines {
			l, err := plotter.NewLine(s.xys)
			if err != nil {
				return Figure{}, err
			}
			l.Color = colour(s.colour)
			l.Width = vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(s.name, l)
		}
		ymax := 0.0
		for i := range n {
			ymax = max(ymax, ok[i].Y, failed[i].Y, lost[i].Y)
		}
		for i, m := range []struct {
			name string
			at   time.Duration
		}{{"PFAIL", run.PFail}, {"FAIL", run.Fail}, {"promoted", run.Promoted}} {
			if m.at == 0 {
				continue
			}
			x := m.at.Seconds()
			l, err := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: ymax * 1.1}})
			if err != nil {
				return Figure{}, err
			}
			l.LineStyle = dashed(colour([]int{1, 3, 0}[i]))
			p.Add(l)
			p.Legend.Add(fmt.Sprintf("%s %.0f ms", m.name, float64(m.at.Milliseconds())), l)
		}
		p.Legend.Top = true
		p.Legend.XOffs = -vg.Points(4)
		p.X.Tick.Marker = secondTicks{}
		p.Y.Min = 0
		p.Y.Max = ymax * 1.5
		p.Add(plotter.NewGrid())
		panels = append(panels, p)
	}
	return Figure{Name: failoverName(res, "timeline"), Plots: panels, Width: 9 * vg.Inch, Height: 6.4 * vg.Inch}, nil
}

// distributionFigure draws, per phase, the empirical CDF of the simulated runs as a line
// and of the real recordings as dots.
func distributionFigure(res *experiments.FailoverResult) (Figure, error) {
	p := plot.New()
	c := res.Config
	p.Title.Text = fmt.Sprintf("Time from %s to PFAIL, FAIL, promotion and ok at node timeout %v: %d simulated runs, %d real",
		c.Fault, c.NodeTimeout, len(res.Runs), len(res.Real))
	p.X.Label.Text = "milliseconds after the fault"
	p.Y.Label.Text = "fraction of runs"
	label := map[string]string{"pfail": "PFAIL", "fail": "FAIL", "promoted": "promoted", "ok": "cluster_state ok everywhere"}
	for i, ph := range experiments.FailoverPhases() {
		var sim, real []float64
		for _, r := range res.Runs {
			if d := ph.Sim(r); d > 0 {
				sim = append(sim, float64(d.Milliseconds()))
			}
		}
		for _, r := range res.Real {
			if d := ph.Real(r); d > 0 { // zero: not recorded (the 3 + 3 recordings have no ok)
				real = append(real, float64(d.Milliseconds()))
			}
		}
		if len(sim) > 0 {
			l, err := plotter.NewLine(ecdf(sim, true))
			if err != nil {
				return Figure{}, err
			}
			l.Color = colour(i)
			l.Width = vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(label[ph.Name]+", simulated", l)
		}
		if len(real) > 0 {
			s, err := plotter.NewScatter(ecdf(real, false))
			if err != nil {
				return Figure{}, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: colour(i), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
			p.Add(s)
			p.Legend.Add(label[ph.Name]+", real Redis 7.0.15", s)
		}
	}
	// Bottom right, small: the curves rise to the right, so that corner stays empty.
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.XOffs = -vg.Points(10)
	p.Legend.YOffs = vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Y.Min, p.Y.Max = 0, 1
	p.X.Tick.Marker, p.Y.Tick.Marker = linearTicks{}, linearTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{0xcc}
	p.Add(grid)
	return Figure{Name: failoverName(res, "distribution"), Plots: []*plot.Plot{p}, Width: 9 * vg.Inch, Height: 4.2 * vg.Inch}, nil
}

func failoverName(res *experiments.FailoverResult, what string) string {
	if res.Config.Fault == "kill" {
		return "failover-" + what
	}
	return "failover-" + res.Config.Fault + "-" + what
}

// ecdf returns the empirical CDF of xs: as a staircase when steps is set, else one point
// per value at its rank.
func ecdf(xs []float64, steps bool) plotter.XYs {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	n := float64(len(xs))
	var out plotter.XYs
	for i, x := range xs {
		if steps {
			out = append(out, plotter.XY{X: x, Y: float64(i) / n})
		}
		out = append(out, plotter.XY{X: x, Y: float64(i+1) / n})
	}
	return out
}

// secondTicks marks every second, labelled, and every half second.
type secondTicks struct{}

func (secondTicks) Ticks(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for x := math.Ceil(lo*2) / 2; x <= hi; x += 0.5 {
		t := plot.Tick{Value: x}
		if x == math.Trunc(x) {
			t.Label = fmt.Sprint(x)
		}
		ticks = append(ticks, t)
	}
	return ticks
}
