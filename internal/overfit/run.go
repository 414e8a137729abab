package overfit

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math/rand/v2"
	"slices"

	"github.com/nfnt/resize"

	"animeface/dataset"
)

// Query is a generated face to look up.
type Query struct {
	// Name identifies the face in the report: its file name.
	Name  string
	Image *image.NRGBA
}

// Config sets a report.
type Config struct {
	// Train is the dataset the generator was trained on.
	Train *dataset.Dataset
	// Generated faces, all of the training faces' size.
	Generated []Query
	// HoldoutFraction, when above 0, is the share of Train the trainer held
	// out (dataset.Holdout): those faces are left out of the training set
	// and serve as held-out faces.
	HoldoutFraction float64
	// ScaleFaces, when set, scales training and held-out faces of another
	// size to the generated faces' size, as the trainer does when its model
	// is smaller than the dataset's faces (bilinear, nfnt/resize), so the
	// errors are measured on the faces the generator learned from. When not
	// set, a face of another size is an error (ErrSize).
	ScaleFaces bool
	// Holdout, when not nil, is a dataset of held-out real faces.
	Holdout *dataset.Dataset
	// MaxHoldout caps the held-out faces used, drawn at random with Seed;
	// 0 means DefaultMaxHoldout.
	MaxHoldout int
	// K is the number of neighbours per generated face.
	K int
	// Cells is the number of cells of the data-copying test; 0 picks one
	// (see cellCount).
	Cells int
	// Seed seeds the held-out draw and the cells' k-means.
	Seed uint64
	// Workers decoding faces; 0 means one per core.
	Workers int
	Log     *slog.Logger
	// Stage, when not nil, is called at the start of each long step with
	// its name and total units (-1 when unknown) and returns the functions
	// that count progress and end the step.
	Stage func(what string, total int64) (add func(int64), done func())
}

// DefaultMaxHoldout is the default cap on held-out faces: their 1%
// quantile then rests on 10 faces, and searching them against 20,000
// training faces of 64×64 takes about 10 s on 2 cores.
const DefaultMaxHoldout = 1000

// duplicateMSE is an error below which two faces are the same picture
// (an RMS difference of under 1% of the pixel range).
const duplicateMSE = 1e-4

// kmeansSample caps the training faces the cells' k-means runs on.
const kmeansSample = 2000

// ErrSize reports a face whose size differs from the training faces'.
var ErrSize = errors.New("face size differs from the training faces")

// Report is what Run found.
type Report struct {
	Size     int
	Training int // training faces searched
	K        int
	Queries  []QueryResult
	// Holdout is nil when no held-out faces were given.
	Holdout *HoldoutResult
	Seed    uint64
	// Bad counts unreadable samples skipped; Scaled counts the faces
	// scaled to Size (see Config.ScaleFaces).
	Bad, Scaled int
}

// QueryResult is a generated face and its nearest training faces.
type QueryResult struct {
	Name       string
	Image      *image.NRGBA
	Neighbours []Match
}

// Match is a training face near a generated one.
type Match struct {
	Key    string
	Source string
	MSE    float64
	Image  *image.NRGBA
}

// HoldoutResult compares generated and held-out faces.
type HoldoutResult struct {
	HeldOut   int `json:"held_out"`
	Generated int `json:"generated"`
	// Quantile of the held-out distances used as threshold (0.01).
	Quantile  float64 `json:"quantile"`
	Threshold float64 `json:"threshold_mse"`
	// CloserShare is the share of generated faces nearer to a training
	// face than Threshold; CloserNote warns when duplicates make the
	// threshold meaningless.
	CloserShare float64 `json:"closer_share"`
	CloserNote  string  `json:"closer_note,omitempty"`
	// CT is the data-copying statistic; CTNote says why it is missing when
	// CTOK is false.
	CT     float64    `json:"c_t"`
	CTOK   bool       `json:"c_t_computed"`
	CTNote string     `json:"c_t_note,omitempty"`
	Cells  []CellStat `json:"cells,omitempty"`
	// GeneratedMSE and HeldOutMSE are each face's distance to its nearest
	// training face.
	GeneratedMSE []float64 `json:"generated_nearest_mse"`
	HeldOutMSE   []float64 `json:"held_out_nearest_mse"`
	// Seed drew the held-out sample and seeded the cells (and, with
	// --run, the generated faces).
	Seed uint64 `json:"seed"`
}

// Run searches the training set for the generated faces' neighbours and,
// with held-out faces, computes the statistics.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxHoldout <= 0 {
		cfg.MaxHoldout = DefaultMaxHoldout
	}
	size, err := generatedSize(cfg.Generated)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x6f76657266697421))
	rep := &Report{Size: size, K: cfg.K, Seed: cfg.Seed}

	// The held-out faces and the sample for the cells need one pass
	// before the search, since they are queries or shape the search.
	pre, err := prepare(ctx, cfg, size, rng, rep)
	if err != nil {
		return nil, err
	}

	s, found, err := search(ctx, cfg, size, pre, rep)
	if err != nil {
		return nil, err
	}
	if rep.Training == 0 {
		return nil, fmt.Errorf("dataset %s has no training face to compare with",
			cfg.Train.Dir)
	}
	if rep.Training < cfg.K {
		return nil, fmt.Errorf("dataset %s has %d training faces, fewer than --k %d",
			cfg.Train.Dir, rep.Training, cfg.K)
	}

	rep.Queries = queryResults(cfg, s, found)
	if len(pre.held) > 0 {
		rep.Holdout = holdoutResult(cfg, s, pre)
	}
	return rep, nil
}

// generatedSize returns the side of the generated faces, which must all be
// square and of one size.
func generatedSize(gen []Query) (int, error) {
	if len(gen) == 0 {
		return 0, errors.New("no generated faces")
	}
	size := gen[0].Image.Rect.Dx()
	for _, q := range gen {
		if b := q.Image.Rect; b.Dx() != size || b.Dy() != size {
			return 0, fmt.Errorf("%w: %s is %dx%d, %s is %dx%d", ErrSize,
				q.Name, b.Dx(), b.Dy(), gen[0].Name, size, size)
		}
	}
	return size, nil
}

// prepared is what the first pass gathers.
type prepared struct {
	held     [][]uint8 // held-out faces, RGB bytes
	cells    *Cells
	cellNote string
	genCell  []int
	heldCell []int
	training []int // training faces per cell, filled by the search
	// trainCount is the number of training faces the first pass saw, or
	// -1 when there was no first pass.
	trainCount int
}

func prepare(ctx context.Context, cfg Config, size int, rng *rand.Rand,
	rep *Report) (*prepared, error) {
	pre := &prepared{trainCount: -1}
	if cfg.HoldoutFraction <= 0 && cfg.Holdout == nil {
		return pre, nil
	}
	sample, err := readSplit(ctx, cfg, size, rng, rep, pre)
	if err != nil {
		return nil, err
	}
	if len(cfg.Generated) <= MinGeneratedPerCell {
		pre.cellNote = fmt.Sprintf("C_T needs more than %d generated faces in a cell; "+
			"there are %d generated faces in all: generate more (--n)",
			MinGeneratedPerCell, len(cfg.Generated))
		return pre, nil
	}
	makeCells(cfg, size, sample, rng, pre)
	return pre, nil
}

// readSplit reads the held-out faces (a random sample of at most
// MaxHoldout) into pre, and returns a random sample of the training faces
// for the cells' k-means.
func readSplit(ctx context.Context, cfg Config, size int, rng *rand.Rand,
	rep *Report, pre *prepared) ([][]uint8, error) {
	held := newReservoir(cfg.MaxHoldout, rng)
	train := newReservoir(kmeansSample, rng)
	add, done := cfg.stage("faces read for the held-out set", -1)
	// Unreadable training samples are counted by the search's pass.
	err := readFaces(ctx, cfg, cfg.Train, size, &Report{}, func(s dataset.Sample,
		px []uint8) {
		add(1)
		if cfg.HoldoutFraction > 0 && dataset.Holdout(s.Key, cfg.HoldoutFraction) {
			held.add(px)
			return
		}
		train.add(px)
	})
	done()
	if err != nil {
		return nil, err
	}
	if cfg.Holdout != nil {
		add, done := cfg.stage("held-out faces read", -1)
		err := readFaces(ctx, cfg, cfg.Holdout, size, rep, func(_ dataset.Sample,
			px []uint8) {
			add(1)
			held.add(px)
		})
		done()
		if err != nil {
			return nil, err
		}
	}
	pre.held, pre.trainCount = held.items, train.seen
	switch {
	case len(pre.held) == 0:
		return nil, errors.New("no held-out face found: the hold-out fraction " +
			"selects none of the dataset's keys, or --holdout-shards is empty")
	case len(train.items) == 0:
		return nil, fmt.Errorf("dataset %s has no training face left once "+
			"faces are held out", cfg.Train.Dir)
	}
	return train.items, nil
}

// makeCells partitions face space by k-means on the training sample and
// places the generated and held-out faces in their cells.
func makeCells(cfg Config, size int, sample [][]uint8, rng *rand.Rand, pre *prepared) {
	dim := size * size * 3
	k := cfg.Cells
	if k <= 0 {
		k = cellCount(len(cfg.Generated), len(pre.held))
	}
	k = min(k, len(sample))
	pre.cells = NewCells(slices.Concat(sample...), dim, k, rng)
	pre.training = make([]int, k)
	gen := make([][]uint8, len(cfg.Generated))
	for i, q := range cfg.Generated {
		gen[i] = rgb(q.Image)
	}
	pre.genCell = pre.cells.Of(slices.Concat(gen...))
	pre.heldCell = pre.cells.Of(slices.Concat(pre.held...))
}

// cellCount picks the cells of the data-copying test: about 40 generated
// and 40 held-out faces per cell on average, so most cells pass the rule
// of more than 20 generated faces, and at most 10 cells.
func cellCount(generated, held int) int {
	return max(1, min(10, generated/40, held/40))
}

func (c Config) stage(what string, total int64) (func(int64), func()) {
	if c.Stage == nil {
		return func(int64) {}, func() {}
	}
	return c.Stage(what, total)
}

// readFaces decodes every readable face of d, refusing faces of another
// size, and calls fn with each face's RGB bytes.
func readFaces(ctx context.Context, cfg Config, d *dataset.Dataset, size int,
	rep *Report, fn func(dataset.Sample, []uint8)) error {
	err := dataset.DecodeImages(ctx, d, dataset.ReadOptions{Bad: func(err error) {
		rep.Bad++
		cfg.Log.Warn("skipping unreadable sample", "err", err)
	}}, cfg.Workers, func(s dataset.Sample, img *image.NRGBA) error {
		if b := img.Rect; b.Dx() != size || b.Dy() != size {
			if !cfg.ScaleFaces {
				return fmt.Errorf("%w: %s/%s sample %s is %dx%d, the generated faces "+
					"%dx%d", ErrSize, d.Dir, s.Shard, s.Key, b.Dx(), b.Dy(), size, size)
			}
			img = scaleFace(img, size)
			rep.Scaled++
		}
		fn(s, rgb(img))
		return nil
	})
	if err != nil {
		return fmt.Errorf("read %s: %w", d.Dir, err)
	}
	return nil
}

// search streams the training faces through a searcher whose queries are
// the generated faces then the held-out ones, and keeps the samples that
// are neighbours of generated faces.
func search(ctx context.Context, cfg Config, size int, pre *prepared,
	rep *Report) (*Searcher, map[int]dataset.Sample, error) {
	dim := size * size * 3
	queries := make([][]uint8, 0, len(cfg.Generated)+len(pre.held))
	for _, q := range cfg.Generated {
		queries = append(queries, rgb(q.Image))
	}
	queries = append(queries, pre.held...)
	var qcell []int
	if pre.cells != nil {
		qcell = append(append(qcell, pre.genCell...), pre.heldCell...)
	}
	s := NewSearcher(queries, cfg.K, qcell)

	found := map[int]dataset.Sample{}
	block := make([]uint8, 0, blockFaces*dim)
	var samples []dataset.Sample
	flush := func() {
		var cells []int
		if pre.cells != nil {
			cells = pre.cells.Of(block)
			for _, c := range cells {
				pre.training[c]++
			}
		}
		first := s.Seen()
		s.AddBlock(block, cells)
		keepNeighbours(s, len(cfg.Generated), first, samples, found)
		block, samples = block[:0], samples[:0]
	}
	add, done := cfg.stage("training faces searched", int64(pre.trainCount))
	defer done()
	err := readFaces(ctx, cfg, cfg.Train, size, rep, func(smp dataset.Sample, px []uint8) {
		if cfg.HoldoutFraction > 0 && dataset.Holdout(smp.Key, cfg.HoldoutFraction) {
			return
		}
		block = append(block, px...)
		samples = append(samples, smp)
		add(1)
		if len(samples) == blockFaces {
			flush()
		}
	})
	if err != nil {
		return nil, nil, err
	}
	if len(samples) > 0 {
		flush()
	}
	rep.Training = s.Seen()
	return s, found, nil
}

// keepNeighbours records the samples of the block just searched that are
// now among the neighbours of a generated face, and forgets those that no
// longer are, so memory holds at most k samples per generated face.
func keepNeighbours(s *Searcher, nGen, first int, samples []dataset.Sample,
	found map[int]dataset.Sample) {
	live := map[int]bool{}
	for _, h := range s.best[:nGen] {
		for _, nb := range h {
			live[nb.Index] = true
			if nb.Index >= first {
				found[nb.Index] = samples[nb.Index-first]
			}
		}
	}
	for i := range found {
		if !live[i] {
			delete(found, i)
		}
	}
}

func queryResults(cfg Config, s *Searcher, found map[int]dataset.Sample) []QueryResult {
	all := s.Neighbours()
	out := make([]QueryResult, len(cfg.Generated))
	for i, q := range cfg.Generated {
		out[i] = QueryResult{Name: q.Name, Image: q.Image}
		for _, nb := range all[i] {
			smp := found[nb.Index]
			img, _ := dataset.DecodePNG(smp.PNG)
			if img != nil && img.Rect.Dx() != q.Image.Rect.Dx() {
				// Show the face as it was compared.
				img = scaleFace(img, q.Image.Rect.Dx())
			}
			out[i].Neighbours = append(out[i].Neighbours, Match{Key: smp.Key,
				Source: smp.Meta.Source, MSE: nb.MSE, Image: img})
		}
	}
	return out
}

func holdoutResult(cfg Config, s *Searcher, pre *prepared) *HoldoutResult {
	nGen := len(cfg.Generated)
	all := s.Neighbours()
	h := &HoldoutResult{HeldOut: len(pre.held), Generated: nGen, Quantile: 0.01,
		Seed: cfg.Seed}
	for i, ns := range all {
		if i < nGen {
			h.GeneratedMSE = append(h.GeneratedMSE, ns[0].MSE)
		} else {
			h.HeldOutMSE = append(h.HeldOutMSE, ns[0].MSE)
		}
	}
	h.CloserShare, h.Threshold = CloserShare(h.GeneratedMSE, h.HeldOutMSE, h.Quantile)
	if h.Threshold < duplicateMSE {
		h.CloserNote = "over 1% of the held-out faces have a near-identical copy " +
			"among the training faces, so nothing can be closer than them: " +
			"deduplicate the dataset (tools dedup) before training"
	}

	if pre.cells == nil {
		h.CTNote = pre.cellNote
		return h
	}
	cellNN := s.CellNearest()
	gen := make([]float64, nGen)
	held := make([]float64, len(pre.held))
	for i, nb := range cellNN {
		if i < nGen {
			gen[i] = nb.MSE
		} else {
			held[i-nGen] = nb.MSE
		}
	}
	h.CT, h.Cells, h.CTOK = CT(gen, pre.genCell, held, pre.heldCell, pre.training)
	if !h.CTOK {
		h.CTNote = fmt.Sprintf("no cell holds more than %d generated faces: "+
			"generate more (--n) or use fewer cells (--cells)", MinGeneratedPerCell)
	}
	return h
}

// scaleFace scales img to size×size the way the trainer does.
func scaleFace(img *image.NRGBA, size int) *image.NRGBA {
	return dataset.ToNRGBA(resize.Resize(uint(size), uint(size), img, resize.Bilinear))
}

// rgb returns the face's pixels as RGB bytes, row-major.
func rgb(img *image.NRGBA) []uint8 {
	b := img.Rect
	out := make([]uint8, 0, b.Dx()*b.Dy()*3)
	for y := 0; y < b.Dy(); y++ {
		row := img.Pix[y*img.Stride:]
		for x := 0; x < b.Dx(); x++ {
			out = append(out, row[4*x], row[4*x+1], row[4*x+2])
		}
	}
	return out
}

// reservoir keeps a uniform random sample of up to n items of a stream.
type reservoir struct {
	n     int
	seen  int
	items [][]uint8
	rng   *rand.Rand
}

func newReservoir(n int, rng *rand.Rand) *reservoir { return &reservoir{n: n, rng: rng} }

func (r *reservoir) add(x []uint8) {
	r.seen++
	if len(r.items) < r.n {
		r.items = append(r.items, x)
		return
	}
	if j := r.rng.IntN(r.seen); j < r.n {
		r.items[j] = x
	}
}
