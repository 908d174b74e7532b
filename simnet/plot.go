package simnet

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Plots are the PNG files WritePlots makes.
var Plots = []string{"propagation.png", "propagation_cdf.png", "traffic.png", "queries.png"}

var (
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	grey   = color.RGBA{R: 150, G: 150, B: 150, A: 255}
)

// WritePlots writes the report's plots as PNG files into dir.
func (r *Report) WritePlots(dir string) error {
	for name, f := range map[string]func() (*plot.Plot, error){
		"propagation.png":     r.timelinePlot,
		"propagation_cdf.png": r.propagationCDF,
		"traffic.png":         r.trafficPlot,
		"queries.png":         r.queriesCDF,
	} {
		if err := savePlot(f, filepath.Join(dir, name)); err != nil {
			return fmt.Errorf("simnet: plot %s: %w", name, err)
		}
	}
	return nil
}

// savePlot draws and saves one plot; gonum panics on some degenerate
// data, which becomes an error here.
func savePlot(f func() (*plot.Plot, error), path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	p, err := f()
	if err != nil {
		return err
	}
	return p.Save(8*vg.Inch, 4*vg.Inch, path)
}

// logAxis makes an axis logarithmic when there is something to draw
// (gonum's log scale panics on an empty range).
func logAxis(a *plot.Axis, points int) {
	if points > 0 {
		a.Scale, a.Tick.Marker = plot.LogScale{}, ticks125{}
	}
}

// ticks125 labels a log axis at 1, 2 and 5 times each power of ten.
type ticks125 struct{}

func (ticks125) Ticks(lo, hi float64) []plot.Tick {
	out := logTicks(lo, hi, []float64{1, 2, 5})
	if len(out) < 3 { // a narrow range: more marks
		out = logTicks(lo, hi, []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9})
	}
	return out
}

func logTicks(lo, hi float64, mults []float64) []plot.Tick {
	var out []plot.Tick
	for p := math.Floor(math.Log10(math.Max(lo, 1e-3))); p <= math.Ceil(math.Log10(hi)); p++ {
		for _, m := range mults {
			v := m * math.Pow(10, p)
			if v >= lo && v <= hi {
				out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', -1, 64)})
			}
		}
	}
	return out
}

func (r *Report) title(what string) string {
	return fmt.Sprintf("%s — %s, %d peers, %s one-way, %g Mbit/s (%s clock)", what, r.Scenario, r.Peers, r.Network.Latency, r.Network.BandwidthMbps, r.Clock)
}

// timelinePlot: every block's delay to all peers against when it was
// sealed, log scale, with the run's events as vertical lines.
func (r *Report) timelinePlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = r.title("block propagation to all peers")
	p.X.Label.Text = "sealed at (s since the load began)"
	p.Y.Label.Text = "delay to all peers (ms, log)"
	logAxis(&p.Y, len(r.Timeline))
	xys := make(plotter.XYs, 0, len(r.Timeline))
	ymin, ymax := math.Inf(1), 1.0
	for _, b := range r.Timeline {
		y := math.Max(b.ToAllMs, 0.1)
		xys = append(xys, plotter.XY{X: b.At, Y: y})
		ymin, ymax = math.Min(ymin, y), math.Max(ymax, y)
	}
	if len(xys) > 0 {
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Color, sc.GlyphStyle.Radius = blue, vg.Points(1.5)
		p.Add(sc)
	}
	for _, e := range r.Events {
		if len(xys) == 0 {
			break
		}
		x := e.At.Seconds()
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: ymin}, {X: x, Y: ymax * 2}})
		if err != nil {
			return nil, err
		}
		l.LineStyle.Color, l.LineStyle.Dashes = grey, []vg.Length{vg.Points(3), vg.Points(3)}
		p.Add(l)
		lb, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: ymax * 1.5}}, Labels: []string{e.Kind}})
		if err != nil {
			return nil, err
		}
		p.Add(lb)
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

// propagationCDF: the share of blocks (to all) and of deliveries (to each
// peer) within a delay.
func (r *Report) propagationCDF() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = r.title("propagation delay CDF")
	p.X.Label.Text = "delay (ms, log)"
	p.Y.Label.Text = "share"
	logAxis(&p.X, len(r.Timeline)+len(r.perPeer))
	toAll := make([]float64, len(r.Timeline))
	for i, b := range r.Timeline {
		toAll[i] = b.ToAllMs
	}
	perPeer := make([]float64, len(r.perPeer))
	for i, d := range r.perPeer {
		perPeer[i] = ms(d)
	}
	if err := addCDF(p, "to each peer", perPeer, orange); err != nil {
		return nil, err
	}
	if err := addCDF(p, "to all peers", toAll, blue); err != nil {
		return nil, err
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	return p, nil
}

// queriesCDF: lookup and report latencies of the successful operations.
func (r *Report) queriesCDF() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = r.title("query latency CDF")
	p.X.Label.Text = "latency (ms, log)"
	p.Y.Label.Text = "share"
	ok := 0
	for _, k := range []string{"lookup", "report"} {
		for _, s := range r.Samples[k] {
			if s.OK {
				ok++
			}
		}
	}
	logAxis(&p.X, ok)
	for _, k := range []struct {
		kind, label string
		c           color.Color
	}{{"lookup", "payment lookup", blue}, {"report", "credit report", orange}} {
		var xs []float64
		for _, s := range r.Samples[k.kind] {
			if s.OK {
				xs = append(xs, ms(s.Latency))
			}
		}
		if err := addCDF(p, k.label, xs, k.c); err != nil {
			return nil, err
		}
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Add(plotter.NewGrid())
	return p, nil
}

// trafficPlot: wire bytes each member sent and received.
func (r *Report) trafficPlot() (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = r.title("wire traffic per peer")
	p.X.Label.Text = "peer"
	p.Y.Label.Text = "MiB"
	out := make(plotter.Values, len(r.Traffic.PerPeer))
	in := make(plotter.Values, len(r.Traffic.PerPeer))
	for i, t := range r.Traffic.PerPeer {
		out[i], in[i] = float64(t.WireOut)/(1<<20), float64(t.WireIn)/(1<<20)
	}
	if len(out) == 0 {
		return p, nil
	}
	w := vg.Points(max(1, 240/float64(len(out))))
	bo, err := plotter.NewBarChart(out, w)
	if err != nil {
		return nil, err
	}
	bi, err := plotter.NewBarChart(in, w)
	if err != nil {
		return nil, err
	}
	bo.Color, bo.LineStyle.Width, bo.Offset = blue, 0, -w/2
	bi.Color, bi.LineStyle.Width, bi.Offset = orange, 0, w/2
	p.Add(bo, bi)
	p.Legend.Add("sent", bo)
	p.Legend.Add("received", bi)
	p.Legend.Top = true
	return p, nil
}

// addCDF adds the empirical CDF of xs (positive values) as a line.
func addCDF(p *plot.Plot, label string, xs []float64, c color.Color) error {
	if len(xs) == 0 {
		return nil
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	step := max(1, len(s)/2000)
	var xys plotter.XYs
	for i := 0; i < len(s); i += step {
		xys = append(xys, plotter.XY{X: math.Max(s[i], 0.01), Y: float64(i+1) / float64(len(s))})
	}
	xys = append(xys, plotter.XY{X: math.Max(s[len(s)-1], 0.01), Y: 1})
	l, err := plotter.NewLine(xys)
	if err != nil {
		return err
	}
	l.LineStyle.Color, l.LineStyle.Width = c, vg.Points(1.5)
	p.Add(l)
	p.Legend.Add(label, l)
	return nil
}
