package plots

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kvplace/kvplace/experiments"
)

// FailoverSweepFigure draws a sweep over cluster sizes as failover-sweep (PNG and SVG in
// dir; failover-FAULT-sweep for another fault): for each phase, the simulated runs'
// p10–p90 band and median against the number of masters, on a logarithmic axis, and
// every real run recorded at a size and the sweep's node timeout as a point on it.
func FailoverSweepFigure(sw *experiments.FailoverSweep, dir string) ([]string, error) {
	p := plot.New()
	c := sw.Config
	p.Title.Text = fmt.Sprintf("%s of a master at node timeout %v against cluster size: simulated p10–p90 and median (%d runs a size), real runs as points",
		c.Fault, c.NodeTimeout, c.Runs)
	p.X.Label.Text = "masters (one replica each)"
	p.Y.Label.Text = "seconds after the fault"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, logTicks{}
	p.Y.Tick.Marker = linearTicks{}
	label := map[string]string{"pfail": "first PFAIL", "fail": "first FAIL", "promoted": "promoted", "ok": "cluster_state ok everywhere"}
	for i, ph := range experiments.FailoverPhases() {
		var band, mid plotter.XYs
		var lower plotter.XYs
		var real plotter.XYs
		for k, res := range sw.Results {
			x := float64(sw.Masters[k])
			if q := res.Summary[i].Sim; q.N > 0 { // the summary's phases are FailoverPhases'
				band = append(band, plotter.XY{X: x, Y: q.P90 / 1000})
				lower = append(lower, plotter.XY{X: x, Y: q.P10 / 1000})
				mid = append(mid, plotter.XY{X: x, Y: q.Median / 1000})
			}
			for _, r := range res.Real {
				if d := ph.Real(r); d > 0 {
					real = append(real, plotter.XY{X: x, Y: d.Seconds()})
				}
			}
		}
		if len(mid) == 0 {
			continue
		}
		r, g, b, _ := colour(i).RGBA()
		if len(mid) > 1 {
			slices.Reverse(lower)
			poly, err := plotter.NewPolygon(append(band, lower...))
			if err != nil {
				return nil, err
			}
			poly.Color = color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0x40}
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		line, points, err := plotter.NewLinePoints(mid)
		if err != nil {
			return nil, err
		}
		line.Color, points.Color = colour(i), colour(i)
		points.Shape = draw.CircleGlyph{}
		points.Radius = vg.Points(2)
		p.Add(line, points)
		p.Legend.Add(label[ph.Name]+", simulated", line, points)
		if len(real) > 0 {
			s, err := plotter.NewScatter(real)
			if err != nil {
				return nil, err
			}
			s.GlyphStyle = draw.GlyphStyle{Color: colour(i), Radius: vg.Points(3), Shape: draw.CrossGlyph{}}
			p.Add(s)
			p.Legend.Add(label[ph.Name]+", real Redis 7.0.15", s)
		}
	}
	// Below the bands, where nothing happens before a node timeout.
	p.Legend.Top, p.Legend.Left = false, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(10), vg.Points(2)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Y.Min = 0
	grid := plotter.NewGrid()
	grid.Vertical.Color, grid.Horizontal.Color = color.Gray{0xcc}, color.Gray{0xcc}
	p.Add(grid)
	name := "failover-sweep"
	if c.Fault != "kill" {
		name = "failover-" + c.Fault + "-sweep"
	}
	return Save(Figure{Name: name, Plots: []*plot.Plot{p}, Width: 9 * vg.Inch, Height: 5 * vg.Inch}, dir)
}
