package plots

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// palette is the Okabe–Ito palette: eight colours that stay distinct for colour-blind
// readers and in greyscale print.
var palette = [...]color.Color{
	color.RGBA{0x00, 0x72, 0xB2, 0xff}, // blue
	color.RGBA{0xE6, 0x9F, 0x00, 0xff}, // orange
	color.RGBA{0x00, 0x9E, 0x73, 0xff}, // bluish green
	color.RGBA{0xCC, 0x79, 0xA7, 0xff}, // reddish purple
	color.RGBA{0x56, 0xB4, 0xE9, 0xff}, // sky blue
	color.RGBA{0xD5, 0x5E, 0x00, 0xff}, // vermillion
	color.RGBA{0x00, 0x00, 0x00, 0xff}, // black
	color.RGBA{0xF0, 0xE4, 0x42, 0xff}, // yellow: last, it is faint on white
}

// colour returns the i-th palette colour, cycling.
func colour(i int) color.Color { return palette[i%len(palette)] }

// Palette returns the colours the figures use, in order: the Okabe–Ito palette.
func Palette() []color.Color { return slices.Clone(palette[:]) }

// A Figure is one or more plots stacked vertically, written as PNG and SVG.
type Figure struct {
	Name   string // file name without extension
	Plots  []*plot.Plot
	Width  vg.Length
	Height vg.Length // of the whole figure
}

// Save writes fig as dir/Name.png (at 144 dpi) and dir/Name.svg and returns both paths.
// The same figure always gives the same bytes.
func Save(fig Figure, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plots: %w", err)
	}
	png := vgimg.NewWith(vgimg.UseWH(fig.Width, fig.Height), vgimg.UseDPI(144))
	svg := vgsvg.New(fig.Width, fig.Height)
	for _, c := range []vg.CanvasSizer{png, svg} {
		fig.draw(c)
	}
	var paths []string
	for _, out := range []struct {
		ext string
		to  func(f *os.File) error
	}{
		{".png", func(f *os.File) error { _, err := vgimg.PngCanvas{Canvas: png}.WriteTo(f); return err }},
		{".svg", func(f *os.File) error { _, err := svg.WriteTo(f); return err }},
	} {
		path := filepath.Join(dir, fig.Name+out.ext)
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("plots: %w", err)
		}
		if err := out.to(f); err != nil {
			f.Close()
			return nil, fmt.Errorf("plots: writing %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("plots: %w", err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// logLog puts both axes of p on a logarithmic scale with plain-number ticks, labelled
// between the powers of ten where the axis is short enough to need it (logTicks).
func logLog(p *plot.Plot) {
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = logTicks{}, logTicks{}
}

// addMeasured adds xys to p as the figures draw a measured series, a line through circles
// in the first colour, under name in the legend.
func addMeasured(p *plot.Plot, xys plotter.XYs, name string) error {
	line, points, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	line.Color, points.Color = colour(0), colour(0)
	points.Shape = draw.CircleGlyph{}
	points.Radius = vg.Points(3.5)
	p.Add(line, points)
	p.Legend.Add(name, line, points)
	return nil
}

// saveAll saves every figure in dir and returns all the paths written.
func saveAll(figs []Figure, dir string) ([]string, error) {
	var paths []string
	for _, f := range figs {
		p, err := Save(f, dir)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	return paths, nil
}

func (fig Figure) draw(c vg.CanvasSizer) {
	dc := draw.New(c)
	rows := make([][]*plot.Plot, len(fig.Plots))
	for i, p := range fig.Plots {
		rows[i] = []*plot.Plot{p}
	}
	// Room on the right for the last tick label and for legends, which align to this edge.
	tiles := draw.Tiles{Rows: len(fig.Plots), Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4), PadRight: vg.Points(18), PadX: vg.Points(4), PadY: vg.Points(10)}
	canvases := plot.Align(rows, tiles, dc)
	for i, p := range fig.Plots {
		p.Draw(canvases[i][0])
	}
}
