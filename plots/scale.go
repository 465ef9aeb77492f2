package plots

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/kvplace/kvplace/experiments"
)

// ScaleFigures draws the figure of a scale run, scale-speed, and writes it to dir as PNG
// and SVG: virtual seconds simulated per wall second against the cluster size, next to
// real time, and the work that size brings (events per virtual second). Wall times are
// this machine's, so unlike the other figures this one changes from run to run.
func ScaleFigures(res *experiments.ScaleResult, dir string) ([]string, error) {
	if len(res.Rows) == 0 {
		return nil, fmt.Errorf("plots: a scale run with no sizes")
	}
	speed := plot.New()
	speed.Title.Text = fmt.Sprintf("Simulator speed: %v of virtual time with gossip and a failover, node timeout %v", res.Config.Span, res.Config.NodeTimeout)
	speed.Y.Label.Text = "virtual seconds per wall second"
	work := plot.New()
	work.Title.Text = "Work per virtual second"
	work.Y.Label.Text = "events per virtual second"
	for _, p := range []*plot.Plot{speed, work} {
		p.X.Label.Text = "nodes (half masters, half replicas)"
		logLog(p)
	}
	var v, e plotter.XYs
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range res.Rows {
		n := float64(r.Nodes)
		v = append(v, plotter.XY{X: n, Y: r.VirtualPerWall})
		e = append(e, plotter.XY{X: n, Y: float64(r.Events) / res.Config.Span.Seconds()})
		lo, hi = math.Min(lo, n), math.Max(hi, n)
	}
	realTime := plotter.NewFunction(func(float64) float64 { return 1 })
	realTime.XMin, realTime.XMax = lo, hi
	realTime.LineStyle = dashed(color.Gray{0x55})
	speed.Add(realTime)
	speed.Legend.Add("real time", realTime)
	for _, s := range []struct {
		p    *plot.Plot
		xys  plotter.XYs
		name string
	}{{speed, v, "measured"}, {work, e, "measured"}} {
		if err := addMeasured(s.p, s.xys, s.name); err != nil {
			return nil, err
		}
		s.p.Add(plotter.NewGrid())
	}
	// Real time on the scale even when every size runs far faster.
	speed.Y.Min = math.Min(speed.Y.Min, 0.5)
	// Each legend where its panel has no data: speed falls with size, work grows.
	speed.Legend.Left, speed.Legend.Top = false, true
	speed.Legend.XOffs, speed.Legend.YOffs = -vg.Points(24), -vg.Points(70)
	work.Legend.Left, work.Legend.Top = false, false
	work.Legend.XOffs, work.Legend.YOffs = -vg.Points(24), vg.Points(10)
	return saveAll([]Figure{{Name: "scale-speed", Plots: []*plot.Plot{speed, work}, Width: 7 * vg.Inch, Height: 7 * vg.Inch}}, dir)
}
