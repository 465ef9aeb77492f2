package plots

import (
	"fmt"
	"image/color"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/kvplace/kvplace/experiments"
)

// MovementFigures draws the figures of a movement run and writes them to dir as PNG and
// SVG: movement-scale, each scheme's cost at every step of 3 → 10 → 3 (keys moved against
// the minimum, time to settle, requests redirected or failed), and movement-crash, what a
// killed master cost each scheme with and without replicas.
func MovementFigures(res *experiments.MovementResult, dir string) ([]string, error) {
	var figs []Figure
	if slices.ContainsFunc(res.Steps, func(st experiments.MovementStep) bool { return st.Part == experiments.PartScale }) {
		scale, err := movementScaleFigure(res) // no scale steps when -to equals -from
		if err != nil {
			return nil, err
		}
		figs = append(figs, scale)
	}
	crash, err := movementCrashFigure(res)
	if err != nil {
		return nil, err
	}
	figs = append(figs, crash)
	for _, scheme := range schemesOf(res) {
		fig, err := movementTimelineFigure(res, scheme)
		if err != nil {
			return nil, err
		}
		figs = append(figs, fig)
	}
	return saveAll(figs, dir)
}

// movementTimelineFigure draws one scheme's parts second by second: the requests answered
// directly, redirected, failed and reads that found nothing, with a dashed line where each
// step began. Its name is movement-<scheme>, with ':' as '-' ("movement-ring-100").
func movementTimelineFigure(res *experiments.MovementResult, scheme string) (Figure, error) {
	titles := map[string]string{
		experiments.PartScale:     "scaling %d → %d → %d masters, one step at each dashed line",
		experiments.PartReplica:   "a master killed, then restarted (dashed lines), with one replica per master",
		experiments.PartNoReplica: "a master killed, then restarted (dashed lines), without replicas",
	}
	var panels []*plot.Plot
	for _, tl := range res.Timelines {
		if tl.Scheme != scheme || len(tl.Seconds) == 0 {
			continue
		}
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s: "+titles[tl.Part], append([]any{scheme}, scaleArgs(res, tl.Part)...)...)
		p.X.Label.Text = "seconds of load (virtual)"
		p.Y.Label.Text = "requests/s"
		series := []struct {
			name   string
			value  func(c experiments.RequestCounts) int
			colour int
		}{
			{"answered at once", func(c experiments.RequestCounts) int { return c.Requests - c.Redirected - c.Failed }, 2},
			{"redirected (MOVED, ASK)", func(c experiments.RequestCounts) int { return c.Redirected }, 1},
			{"failed", func(c experiments.RequestCounts) int { return c.Failed }, 5},
			{"read found nothing (of those answered)", func(c experiments.RequestCounts) int { return c.Missed }, 3},
		}
		// The last second is cut short by the end of the load: it is left out.
		n := len(tl.Seconds) - 1
		ymax := 0.0
		for i, sr := range series {
			xys := make(plotter.XYs, n)
			for j := range n {
				xys[j] = plotter.XY{X: float64(j) + 0.5, Y: float64(sr.value(tl.Seconds[j]))}
				ymax = max(ymax, xys[j].Y)
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return Figure{}, err
			}
			l.Color = colour(sr.colour)
			l.Width = vg.Points(1.2)
			if i == 0 {
				l.Width = vg.Points(0.8)
			}
			p.Add(l)
			p.Legend.Add(sr.name, l)
		}
		for _, at := range tl.Starts {
			l, err := plotter.NewLine(plotter.XYs{{X: at.Seconds(), Y: 0}, {X: at.Seconds(), Y: ymax * 1.1}})
			if err != nil {
				return Figure{}, err
			}
			l.LineStyle = dashed(color.Gray{0x88})
			p.Add(l)
		}
		p.Y.Min, p.Y.Max = 0, ymax*1.45
		p.Legend.Top = true
		p.Legend.XOffs = -vg.Points(4)
		p.Add(plotter.NewGrid())
		panels = append(panels, p)
	}
	if len(panels) == 0 {
		return Figure{}, fmt.Errorf("plots: no timeline for scheme %s", scheme)
	}
	name := "movement-" + strings.ReplaceAll(scheme, ":", "-")
	return Figure{Name: name, Plots: panels, Width: 9 * vg.Inch, Height: 3.2 * vg.Inch * vg.Length(len(panels))}, nil
}

// scaleArgs gives the scale part's title its sizes.
func scaleArgs(res *experiments.MovementResult, part string) []any {
	if part != experiments.PartScale {
		return nil
	}
	c := res.Config
	return []any{c.From, c.To, c.From}
}

// schemesOf lists the schemes of res in the order they ran.
func schemesOf(res *experiments.MovementResult) []string {
	var out []string
	for _, st := range res.Steps {
		if !slices.Contains(out, st.Scheme) {
			out = append(out, st.Scheme)
		}
	}
	return out
}

// stepTicks labels step i of the scale part with the size it went to ("→7").
type stepTicks []string

func (t stepTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for i, l := range t {
		if x := float64(i + 1); x >= lo && x <= hi {
			out = append(out, plot.Tick{Value: x, Label: l})
		}
	}
	return out
}

func movementScaleFigure(res *experiments.MovementResult) (Figure, error) {
	c := res.Config
	moved := plot.New()
	moved.Title.Text = fmt.Sprintf("Scaling %d → %d → %d masters one at a time under load: keys moved per step", c.From, c.To, c.From)
	moved.Y.Label.Text = "% of the stored keys"
	settle := plot.New()
	settle.Title.Text = "Time from the event until the cluster settled"
	settle.Y.Label.Text = "seconds (virtual)"
	hurt := plot.New()
	hurt.Title.Text = "Requests redirected (MOVED, ASK) or failed during the step"
	hurt.Y.Label.Text = "% of the step's requests"
	var ticks stepTicks
	var minimum plotter.XYs
	for _, st := range res.Steps {
		if st.Part != experiments.PartScale || st.Scheme != res.Steps[0].Scheme {
			continue
		}
		ticks = append(ticks, fmt.Sprintf("%s %d", map[string]string{"join": "+", "leave": "−"}[st.Event], st.Masters))
		// The least an even placement moves: the joining master's 1/N, or the leaving
		// master's 1/(N+1). (Each scheme's own minimum on a leave is what its leaving master
		// held, which an uneven placement makes smaller or larger; the table has it.)
		n := st.Masters
		if st.Event == "leave" {
			n++
		}
		minimum = append(minimum, plotter.XY{X: float64(len(ticks)), Y: 100 / float64(n)})
	}
	if len(ticks) == 0 {
		return Figure{}, fmt.Errorf("plots: a movement run with no scale steps")
	}
	for _, p := range []*plot.Plot{moved, settle, hurt} {
		p.X.Label.Text = "step: a master joins (+) or leaves (−), giving N masters"
		p.X.Tick.Marker = ticks
		p.X.Min, p.X.Max = 0.5, float64(len(ticks))+0.5
		p.Y.Min = 0
		p.Add(plotter.NewGrid())
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(4)
	}
	minLine, err := plotter.NewLine(minimum)
	if err != nil {
		return Figure{}, err
	}
	minLine.LineStyle = dashed(color.Gray{0x55})
	moved.Add(minLine)
	moved.Legend.Add("an even share: 1/N of the keys, N the larger size", minLine)
	for i, scheme := range schemesOf(res) {
		var m, s, h plotter.XYs
		for _, st := range res.Steps {
			if st.Part != experiments.PartScale || st.Scheme != scheme {
				continue
			}
			x := float64(len(m) + 1)
			m = append(m, plotter.XY{X: x, Y: pct(st.Moved, st.Stored)})
			s = append(s, plotter.XY{X: x, Y: st.Settle.Seconds()})
			h = append(h, plotter.XY{X: x, Y: pct(int64(st.Redirected+st.Failed), int64(st.Requests))})
		}
		for _, series := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{moved, m}, {settle, s}, {hurt, h}} {
			line, points, err := plotter.NewLinePoints(series.xys)
			if err != nil {
				return Figure{}, err
			}
			line.Color, points.Color = colour(i), colour(i)
			points.Shape = glyph(i)
			points.Radius = vg.Points(3)
			series.p.Add(line, points)
			series.p.Legend.Add(scheme, line, points)
		}
	}
	for _, p := range []*plot.Plot{moved, settle, hurt} {
		p.Y.Max *= 1.4 // room for the legend above the lines
	}
	return Figure{Name: "movement-scale", Plots: []*plot.Plot{moved, settle, hurt}, Width: 8 * vg.Inch, Height: 10 * vg.Inch}, nil
}

func movementCrashFigure(res *experiments.MovementResult) (Figure, error) {
	c := res.Config
	schemes := schemesOf(res)
	parts := []struct{ part, label string }{
		{experiments.PartReplica, "with a replica"},
		{experiments.PartNoReplica, "without replica"},
	}
	measures := []struct {
		label string
		value func(s experiments.MovementSummary) float64
	}{
		{"requests failed (%)", func(s experiments.MovementSummary) float64 { return pct(int64(s.Failed), int64(s.Requests)) }},
		{"reads that missed a stored key (%)", func(s experiments.MovementSummary) float64 { return pct(int64(s.Missed), int64(s.Requests)) }},
		{"keys moved (% of stored)", func(s experiments.MovementSummary) float64 { return 0 }},
	}
	stored := map[string]int64{}
	for _, st := range res.Steps {
		if st.Event == "kill" {
			stored[st.Scheme+"/"+st.Part] = st.Stored
		}
	}
	measures[2].value = func(s experiments.MovementSummary) float64 { return pct(s.Moved, stored[s.Scheme+"/"+s.Part]) }
	sums := map[string]experiments.MovementSummary{}
	for _, s := range res.Summaries() {
		sums[s.Scheme+"/"+s.Part] = s
	}
	var plots []*plot.Plot
	for _, pt := range parts {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("A master killed for %v and restarted, %s (node timeout %v)", c.Outage, pt.label, c.NodeTimeout)
		p.Y.Label.Text = "%"
		p.Y.Min = 0
		p.NominalX(schemes...)
		w := vg.Points(14)
		for j, m := range measures {
			var vals plotter.Values
			for _, s := range schemes {
				vals = append(vals, m.value(sums[s+"/"+pt.part]))
			}
			bars, err := plotter.NewBarChart(vals, w)
			if err != nil {
				return Figure{}, err
			}
			bars.Color = colour(j + 4)
			bars.LineStyle.Width = 0
			bars.Offset = w * vg.Length(j-1)
			p.Add(bars)
			p.Legend.Add(m.label, bars)
		}
		p.Add(plotter.NewGrid())
		p.X.Min, p.X.Max = -0.5, float64(len(schemes))-0.5
		p.Y.Max *= 1.4
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(4)
		plots = append(plots, p)
	}
	return Figure{Name: "movement-crash", Plots: plots, Width: 8 * vg.Inch, Height: 7 * vg.Inch}, nil
}

// glyph returns a distinct point shape per series, so the schemes stay apart in greyscale.
func glyph(i int) draw.GlyphDrawer {
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}, draw.PlusGlyph{}, draw.CrossGlyph{}, draw.RingGlyph{}}
	return shapes[i%len(shapes)]
}

func pct(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}
