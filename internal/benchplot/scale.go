package main

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// ScaleSample is one line of scale-samples.csv.
type ScaleSample struct {
	Records     float64
	RecordsPerS float64
	DiskRatio   float64
	LookupP50us float64 // 0: no lookup in that interval
	LookupP99us float64
}

// ReadScaleSamples reads scale-samples.csv as chain/store's TestScale
// writes it, by its header's column names.
func ReadScaleSamples(r io.Reader) ([]ScaleSample, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 {
		return nil, fmt.Errorf("benchplot: no samples")
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, need := range []string{"records", "records_per_s", "disk_ratio", "lookup_p50_us", "lookup_p99_us"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("benchplot: no column %q in the header %v", need, rows[0])
		}
	}
	var out []ScaleSample
	for n, row := range rows[1:] {
		num := func(name string) (float64, error) {
			v := row[col[name]]
			if v == "" {
				return 0, nil
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("benchplot: line %d, %s: %w", n+2, name, err)
			}
			return f, nil
		}
		var s ScaleSample
		for _, f := range []struct {
			name string
			to   *float64
		}{{"records", &s.Records}, {"records_per_s", &s.RecordsPerS}, {"disk_ratio", &s.DiskRatio}, {"lookup_p50_us", &s.LookupP50us}, {"lookup_p99_us", &s.LookupP99us}} {
			if *f.to, err = num(f.name); err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, nil
}

var (
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
)

// WriteScalePlots writes scale-ingest.png and scale-lookup.png into dir.
func WriteScalePlots(samples []ScaleSample, dir string) error {
	if err := save(ingestPlot(samples), filepath.Join(dir, "scale-ingest.png")); err != nil {
		return err
	}
	return save(lookupPlot(samples), filepath.Join(dir, "scale-lookup.png"))
}

func millions(s ScaleSample) float64 { return s.Records / 1e6 }

func ingestPlot(samples []ScaleSample) []*plot.Plot {
	rate := plot.New()
	rate.Title.Text = "Ingest rate against store size (one peer, replica appends)"
	rate.X.Label.Text = "records stored (millions)"
	rate.Y.Label.Text = "records/s since the sample before"
	rate.Add(plotter.NewGrid())
	disk := plot.New()
	disk.Title.Text = "Disk used against the entries' bytes"
	disk.X.Label.Text = "records stored (millions)"
	disk.Y.Label.Text = "disk / entry bytes"
	disk.Add(plotter.NewGrid())
	var r, d plotter.XYs
	for _, s := range samples {
		r = append(r, plotter.XY{X: millions(s), Y: s.RecordsPerS})
		d = append(d, plotter.XY{X: millions(s), Y: s.DiskRatio})
	}
	addLine(rate, r, blue, "")
	addLine(disk, d, orange, "")
	rate.Y.Min, disk.Y.Min = 0, 0
	return []*plot.Plot{rate, disk}
}

func lookupPlot(samples []ScaleSample) []*plot.Plot {
	p := plot.New()
	p.Title.Text = "Lookup with proof during ingest, against store size"
	p.X.Label.Text = "records stored (millions)"
	p.Y.Label.Text = "latency (µs, log scale)"
	p.Add(plotter.NewGrid())
	var p50, p99 plotter.XYs
	for _, s := range samples {
		if s.LookupP50us > 0 {
			p50 = append(p50, plotter.XY{X: millions(s), Y: s.LookupP50us})
			p99 = append(p99, plotter.XY{X: millions(s), Y: s.LookupP99us})
		}
	}
	if len(p50) > 0 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	addLine(p, p50, blue, "p50")
	addLine(p, p99, orange, "p99")
	p.Legend.Top = true
	return []*plot.Plot{p}
}

func addLine(p *plot.Plot, xys plotter.XYs, c color.Color, name string) {
	if len(xys) == 0 {
		return
	}
	l, err := plotter.NewLine(xys)
	if err != nil {
		return
	}
	l.Color = c
	l.Width = vg.Points(1.5)
	p.Add(l)
	if name != "" {
		p.Legend.Add(name, l)
	}
}

// save stacks plots vertically into one PNG; gonum panics on some
// degenerate data, which becomes an error here.
func save(plots []*plot.Plot, path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("benchplot: %s: %v", path, r)
		}
	}()
	const w, h = 8 * vg.Inch, 3.5 * vg.Inch
	img := vgimg.New(w, h*vg.Length(len(plots)))
	rows := make([][]*plot.Plot, len(plots))
	for i, p := range plots {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{Rows: len(plots), Cols: 1, PadY: vg.Millimeter * 4}
	canvases := plot.Align(rows, tiles, draw.New(img))
	for i, p := range plots {
		p.Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
