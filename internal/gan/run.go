package gan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"animeface/internal/atomicfile"
	"animeface/internal/montage"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// RunConfig is what config.json records about a run: enough to repeat it
// and to find the faces it was trained on.
type RunConfig struct {
	Options Options     `json:"options"`
	Dataset DatasetInfo `json:"dataset"`
	BLAS    string      `json:"blas"`
	Go      string      `json:"go"`
	Started time.Time   `json:"started"`
}

// DatasetInfo describes the faces a run trains on.
type DatasetInfo struct {
	// Fingerprint is a SHA-256 over the key and PNG bytes of every face read,
	// in shard order, before the hold-out split.
	Fingerprint string `json:"fingerprint"`
	Faces       int    `json:"faces"`    // faces trained on
	HeldOut     int    `json:"held_out"` // faces kept out by Holdout
	Skipped     int    `json:"skipped"`  // unreadable members
	Resized     int    `json:"resized"`  // faces not at the model's size
}

const configName = "config.json"

// LoadRunConfig reads the config.json of a run folder.
func LoadRunConfig(run string) (RunConfig, error) {
	var c RunConfig
	data, err := os.ReadFile(filepath.Join(run, configName))
	if err != nil {
		return c, fmt.Errorf("run config: %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("run config %s: %w", filepath.Join(run, configName), err)
	}
	return c, nil
}

func writeRunConfig(run string, c RunConfig) error {
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode run config: %w", err)
	}
	data = append(data, '\n')
	return atomicfile.WriteFile(filepath.Join(run, configName), data, 0o644)
}

func newRunConfig(o Options, info DatasetInfo) RunConfig {
	return RunConfig{Options: o, Dataset: info, BLAS: BLAS, Go: runtime.Version(),
		Started: time.Now().UTC().Truncate(time.Second)}
}

// Metric is one line of metrics.jsonl: one training iteration.
type Metric struct {
	Step  int     `json:"step"`
	Epoch int     `json:"epoch"`
	LossD float64 `json:"loss_d"`
	LossG float64 `json:"loss_g"`
	DReal float64 `json:"d_real"`
	DFake float64 `json:"d_fake"`
	// LossZ is the z-predictor's weighted error, included in both losses.
	LossZ    float64 `json:"loss_z,omitempty"`
	ImgPerS  float64 `json:"img_per_s"`
	ElapsedS float64 `json:"elapsed_s"`
}

const metricsName = "metrics.jsonl"

// ReadMetrics returns the metrics of a run up to and including step
// (all of them if step < 0). A torn last line, left by a killed run, is
// dropped.
func ReadMetrics(run string, step int) ([]Metric, error) {
	f, err := os.Open(filepath.Join(run, metricsName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer f.Close()
	var ms []Metric
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m Metric
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		if step < 0 || m.Step <= step {
			ms = append(ms, m)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return ms, nil
}

// metricsLog appends metrics to metrics.jsonl.
type metricsLog struct {
	f *os.File
	w *bufio.Writer
}

// openMetrics rewrites metrics.jsonl with keep (the lines a resumed run
// keeps: those up to its checkpoint) and opens it for appending.
func openMetrics(run string, keep []Metric) (*metricsLog, error) {
	var buf bytes.Buffer
	for _, m := range keep {
		line, _ := json.Marshal(m)
		buf.Write(append(line, '\n'))
	}
	path := filepath.Join(run, metricsName)
	if err := atomicfile.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &metricsLog{f: f, w: bufio.NewWriter(f)}, nil
}

func (l *metricsLog) add(m Metric) error {
	line, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if _, err := l.w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

// sync makes every line written so far durable.
func (l *metricsLog) sync() error {
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	return l.f.Sync()
}

func (l *metricsLog) close() error {
	err := l.sync()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeSamples writes samples/step-NNNNNN.png, an 8-column montage.
func writeSamples(run string, step int, imgs []*image.NRGBA) (string, error) {
	dir := filepath.Join(run, "samples")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("samples folder: %w", err)
	}
	path := filepath.Join(dir, fmt.Sprintf("step-%06d.png", step))
	tiles := make([]image.Image, len(imgs))
	for i, m := range imgs {
		tiles[i] = m
	}
	if err := montage.WritePNG(path, montage.Grid(tiles, 8, 2)); err != nil {
		return "", fmt.Errorf("samples: %w", err)
	}
	return path, nil
}

// writeLossPlot draws both losses against the step into loss.png.
func writeLossPlot(run string, ms []Metric) error {
	p := plot.New()
	p.Title.Text = "GAN losses"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "loss"
	d := make(plotter.XYs, len(ms))
	g := make(plotter.XYs, len(ms))
	for i, m := range ms {
		d[i] = plotter.XY{X: float64(m.Step), Y: m.LossD}
		g[i] = plotter.XY{X: float64(m.Step), Y: m.LossG}
	}
	for _, s := range []struct {
		name string
		xy   plotter.XYs
		c    color.RGBA
	}{
		{"discriminator", d, color.RGBA{R: 200, A: 255}},
		{"generator", g, color.RGBA{B: 200, A: 255}},
	} {
		line, err := plotter.NewLine(s.xy)
		if err != nil {
			return fmt.Errorf("loss plot: %w", err)
		}
		line.Color = s.c
		p.Add(line)
		p.Legend.Add(s.name, line)
	}
	p.Add(plotter.NewGrid())
	p.Legend.Top = true

	w, err := p.WriterTo(8*vg.Inch, 4*vg.Inch, "png")
	if err != nil {
		return fmt.Errorf("loss plot: %w", err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return fmt.Errorf("loss plot: %w", err)
	}
	return atomicfile.WriteFile(filepath.Join(run, "loss.png"), buf.Bytes(), 0o644)
}

// toImages converts generator output (n, 3, size, size) in [-1, 1] to
// images.
func toImages(data []float32, n, size int) []*image.NRGBA {
	imgs := make([]*image.NRGBA, n)
	plane := size * size
	for i := range imgs {
		m := image.NewNRGBA(image.Rect(0, 0, size, size))
		base := data[i*3*plane:]
		for p := 0; p < plane; p++ {
			for c := 0; c < 3; c++ {
				m.Pix[4*p+c] = toByte(base[c*plane+p])
			}
			m.Pix[4*p+3] = 255
		}
		imgs[i] = m
	}
	return imgs
}

func toByte(x float32) uint8 {
	v := (x + 1) * 127.5
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 255:
		return 255
	}
	return uint8(v + 0.5)
}
