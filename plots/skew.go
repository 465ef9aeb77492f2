package plots

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kvplace/kvplace/experiments"
)

// SkewFigures draws the figures of a skew run and writes them to dir as PNG and SVG:
// skew-load (each master's share per scheme and workload), skew-vnodes (σ/mean against
// virtual nodes with the 1/√V law), skew-moved (keys moved on N → N+1 against the
// minimum) and, when keys have sizes, skew-memory (the largest member's memory over the
// mean against N). It returns the paths written.
func SkewFigures(res *experiments.SkewResult, dir string) ([]string, error) {
	var figs []Figure
	if len(res.Workloads) > 0 {
		f, err := loadFigure(res)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	if len(res.Law) > 0 {
		f, err := lawFigure(res)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
	}
	if len(res.Sweep) > 0 {
		f, err := movedFigure(res)
		if err != nil {
			return nil, err
		}
		figs = append(figs, f)
		if res.Sweep[0].ByteSkew != nil {
			f, err := memoryFigure(res)
			if err != nil {
				return nil, err
			}
			figs = append(figs, f)
		}
	}
	return saveAll(figs, dir)
}

func dashed(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
}

func loadFigure(res *experiments.SkewResult) (Figure, error) {
	var kinds []string
	for _, w := range res.Workloads {
		if !slices.Contains(kinds, w.Workload) {
			kinds = append(kinds, w.Workload)
		}
	}
	schemes := res.Config.Schemes
	var panels []*plot.Plot
	for _, kind := range kinds {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s at 4 masters: each master's share", kind)
		p.Y.Label.Text = "share of " + shareOf(kind) + " (%)"
		var names []string
		for _, s := range schemes {
			names = append(names, s.String())
		}
		p.NominalX(names...)
		var members []string
		width := vg.Points(9)
		for j := 0; ; j++ {
			values := make(plotter.Values, len(schemes))
			any := false
			for i, s := range schemes {
				for _, w := range res.Workloads {
					if w.Scheme == s && w.Workload == kind && j < len(w.Share) {
						values[i] = 100 * w.Share[j]
						any = true
						if i == 0 {
							members = append(members, w.Members[j])
						}
					}
				}
			}
			if !any {
				break
			}
			bars, err := plotter.NewBarChart(values, width)
			if err != nil {
				return Figure{}, err
			}
			bars.Color = colour(j)
			bars.LineStyle.Width = 0
			bars.Offset = (vg.Length(j) - 1.5) * width
			p.Add(bars)
			if j < len(members) && len(panels) == 0 {
				p.Legend.Add(members[j], bars)
			}
		}
		fair := plotter.NewFunction(func(float64) float64 { return 25 })
		fair.LineStyle = dashed(color.Gray{0x55})
		p.Add(fair)
		if len(panels) == 0 {
			p.Legend.Add("fair share, 25%", fair)
		}
		p.Legend.Top = true
		p.Legend.XOffs = -vg.Points(4)
		p.Y.Min = 0
		p.Y.Max = math.Max(p.Y.Max*1.35, 40)
		p.Add(plotter.NewGrid())
		panels = append(panels, p)
	}
	return Figure{Name: "skew-load", Plots: panels, Width: 9 * vg.Inch, Height: vg.Length(len(panels)) * 3.2 * vg.Inch}, nil
}

func shareOf(kind string) string {
	if strings.HasSuffix(kind, "requests") {
		return "requests"
	}
	return "keys"
}

func lawFigure(res *experiments.SkewResult) (Figure, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Ring skew against virtual nodes (%d members, exact keyspace shares)", res.Config.LawMembers)
	p.X.Label.Text = "virtual nodes per member, V"
	p.Y.Label.Text = "σ/mean of members' shares"
	logLog(p)

	var measured, lamping plotter.XYs
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range res.Law {
		measured = append(measured, plotter.XY{X: float64(l.VNodes), Y: l.CV})
		if l.Lamping > 0 {
			lamping = append(lamping, plotter.XY{X: float64(l.VNodes), Y: l.Lamping})
		}
		lo, hi = math.Min(lo, float64(l.VNodes)), math.Max(hi, float64(l.VNodes))
	}
	law := plotter.NewFunction(func(v float64) float64 { return 1 / math.Sqrt(v) })
	law.XMin, law.XMax = lo, hi
	law.LineStyle = dashed(color.Gray{0x55})
	p.Add(law)
	p.Legend.Add("1/√V", law)

	if err := addMeasured(p, measured, "measured"); err != nil {
		return Figure{}, err
	}
	if len(lamping) > 0 {
		lv, err := plotter.NewScatter(lamping)
		if err != nil {
			return Figure{}, err
		}
		lv.Color = colour(5)
		lv.Shape = draw.CrossGlyph{}
		lv.Radius = vg.Points(5)
		p.Add(lv)
		p.Legend.Add("Lamping & Veach 2014", lv)
	}
	// Top right, where the falling line leaves the frame empty, clear of the frame.
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(10)
	p.Legend.YOffs = -vg.Points(24)
	p.Add(plotter.NewGrid())
	return Figure{Name: "skew-vnodes", Plots: []*plot.Plot{p}, Width: 6 * vg.Inch, Height: 4.5 * vg.Inch}, nil
}

func movedFigure(res *experiments.SkewResult) (Figure, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Keys moved when a member joins N others (%d keys per N)", res.Config.SweepKeys)
	p.X.Label.Text = "members before the join, N"
	p.Y.Label.Text = "fraction of keys moved"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker, p.X.Tick.Marker = logTicks{}, linearTicks{}

	for i, s := range res.Config.Schemes {
		var xys plotter.XYs
		for _, pt := range res.SweepOf(s) {
			if pt.Moved > 0 {
				xys = append(xys, plotter.XY{X: float64(pt.N), Y: pt.Moved})
			}
		}
		if len(xys) == 0 {
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return Figure{}, err
		}
		l.Color = colour(i)
		l.Width = vg.Points(1.2)
		p.Add(l)
		p.Legend.Add(s.String(), l)
	}
	minimum := plotter.NewFunction(func(n float64) float64 { return 1 / (n + 1) })
	minimum.XMin, minimum.XMax = float64(res.Config.MinN), float64(res.Config.MaxN)
	minimum.LineStyle = dashed(color.Gray{0x70})
	minimum.Width = vg.Points(2.5)
	p.Add(minimum)
	p.Legend.Add("minimum, 1/(N+1)", minimum)
	// Top right, under hash % N's line near 1 and above the others, which fall with N.
	p.Legend.Top = true
	p.Legend.XOffs = -vg.Points(10)
	p.Legend.YOffs = -vg.Points(30)
	p.Add(plotter.NewGrid())
	return Figure{Name: "skew-moved", Plots: []*plot.Plot{p}, Width: 7 * vg.Inch, Height: 5.5 * vg.Inch}, nil
}

// memoryFigure draws, for each scheme, the fullest member's bytes over the mean against the
// number of members N, solid, and its keys over the mean, dashed: how much memory the
// largest node needs beyond its fair share, which a heavy tail raises as N grows and
// each member holds fewer keys to average out the big ones.
func memoryFigure(res *experiments.SkewResult) (Figure, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("The largest member's memory over the mean (%d keys, sizes %s)", res.Config.SweepKeys, res.Config.Keys.Size)
	p.X.Label.Text = "members, N"
	p.Y.Label.Text = "max/mean: bytes (solid), keys (dashed)"
	p.X.Tick.Marker = linearTicks{}
	for i, s := range res.Config.Schemes {
		var bytes, keys plotter.XYs
		for _, pt := range res.SweepOf(s) {
			if pt.ByteSkew != nil {
				bytes = append(bytes, plotter.XY{X: float64(pt.N), Y: pt.ByteSkew.MaxMean})
				keys = append(keys, plotter.XY{X: float64(pt.N), Y: pt.KeySkew.MaxMean})
			}
		}
		if len(bytes) == 0 {
			continue
		}
		l, err := plotter.NewLine(bytes)
		if err != nil {
			return Figure{}, err
		}
		l.Color = colour(i)
		l.Width = vg.Points(1.2)
		k, err := plotter.NewLine(keys)
		if err != nil {
			return Figure{}, err
		}
		k.LineStyle = dashed(colour(i))
		p.Add(l, k)
		p.Legend.Add(s.String(), l)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return Figure{Name: "skew-memory", Plots: []*plot.Plot{p}, Width: 7 * vg.Inch, Height: 5.5 * vg.Inch}, nil
}
