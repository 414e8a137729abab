package overfit

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// TestSearcherMatchesBruteForce compares the blocked BLAS search with plain
// exact MSE over every pair, on random faces with near copies planted.
func TestSearcherMatchesBruteForce(t *testing.T) {
	const dim, nTrain, nQuery, k = 3 * 16 * 16, 700, 9, 5
	rng := rand.New(rand.NewPCG(3, 4))
	train := randomFaces(rng, nTrain, dim)
	queries := randomFaces(rng, nQuery, dim)
	// Plant: query 0 is training face 123, query 1 is face 456 plus noise.
	copy(queries[0], train[123])
	for i, v := range train[456] {
		queries[1][i] = uint8(min(255, int(v)+rng.IntN(3)))
	}
	cells := make([]int, nTrain)
	for i := range cells {
		cells[i] = i % 3
	}
	qcell := []int{0, 0, 1, 2, 0, 1, 2, 0, 1}

	for _, impl := range []struct {
		name string
		gemm sgemmer
	}{{"openblas", openBLAS}, {"gonum", pureGo}} {
		t.Run(impl.name, func(t *testing.T) {
			s := NewSearcher(queries, k, qcell)
			s.gemm = impl.gemm
			for lo := 0; lo < nTrain; lo += 128 {
				hi := min(lo+128, nTrain)
				s.AddBlock(slices.Concat(train[lo:hi]...), cells[lo:hi])
			}
			got := s.Neighbours()
			for q := range queries {
				want := bruteForce(queries[q], train, k, nil)
				if !slices.Equal(got[q], want) {
					t.Errorf("query %d: got %v, want %v", q, got[q], want)
				}
				wantCell := bruteForce(queries[q], train, 1, func(j int) bool {
					return cells[j] == qcell[q]
				})
				if s.CellNearest()[q] != wantCell[0] {
					t.Errorf("query %d: cell nearest %v, want %v", q,
						s.CellNearest()[q], wantCell[0])
				}
			}
			if got[0][0] != (Neighbour{123, 0}) || got[1][0].Index != 456 {
				t.Errorf("planted copies not at rank 1: %v, %v", got[0][0], got[1][0])
			}
		})
	}
}

func bruteForce(q []uint8, train [][]uint8, k int, keep func(int) bool) []Neighbour {
	var all []Neighbour
	for j, f := range train {
		if keep == nil || keep(j) {
			all = append(all, Neighbour{j, mse(q, f)})
		}
	}
	sortNeighbours(all)
	return all[:k]
}

func randomFaces(rng *rand.Rand, n, dim int) [][]uint8 {
	out := make([][]uint8, n)
	for i := range out {
		out[i] = make([]uint8, dim)
		for j := range out[i] {
			out[i][j] = uint8(rng.IntN(256))
		}
	}
	return out
}

// BenchmarkSearch searches 64 queries against 20,000 faces of 64×64 held in
// memory as bytes, in blocks of 256, with OpenBLAS and with gonum's pure-Go
// BLAS.
func BenchmarkSearch(b *testing.B) {
	const dim, nTrain, nQuery = 64 * 64 * 3, 20000, 64
	rng := rand.New(rand.NewPCG(1, 1))
	train := make([]uint8, nTrain*dim)
	for i := range train {
		train[i] = uint8(rng.Uint32())
	}
	queries := randomFaces(rng, nQuery, dim)
	for _, impl := range []struct {
		name string
		gemm sgemmer
	}{{"openblas", openBLAS}, {"gonum", pureGo}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(int64(len(train)))
			for b.Loop() {
				s := NewSearcher(queries, 5, nil)
				s.gemm = impl.gemm
				for lo := 0; lo < nTrain; lo += blockFaces {
					hi := min(lo+blockFaces, nTrain)
					s.AddBlock(train[lo*dim:hi*dim], nil)
				}
			}
		})
	}
}

// BenchmarkMemoryFloor reads 20,000 faces of 64×64 once on every core, as
// float32 (1 GB) and as the bytes the searcher keeps (250 MB): no search
// can take less than one such read.
func BenchmarkMemoryFloor(b *testing.B) {
	const n = 20000 * 64 * 64 * 3
	b.Run("float32", func(b *testing.B) {
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i & 255)
		}
		b.SetBytes(4 * n)
		var sink float64
		for b.Loop() {
			sink += parallelSum(len(data), func(lo, hi int) float64 {
				return float64(sumFloats(data[lo:hi]))
			})
		}
		_ = fmt.Sprint(sink)
	})
	b.Run("bytes", func(b *testing.B) {
		data := make([]uint8, n)
		for i := range data {
			data[i] = uint8(i)
		}
		b.SetBytes(n)
		var sink float64
		for b.Loop() {
			sink += parallelSum(len(data), func(lo, hi int) float64 {
				return float64(sumBytes(data[lo:hi]))
			})
		}
		_ = fmt.Sprint(sink)
	})
}

// parallelSum splits [0, n) over GOMAXPROCS goroutines and adds up sum
// over the parts.
func parallelSum(n int, sum func(lo, hi int) float64) float64 {
	w := runtime.GOMAXPROCS(0)
	parts := make([]float64, w)
	var wg sync.WaitGroup
	for i := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = sum(i*n/w, (i+1)*n/w)
		}()
	}
	wg.Wait()
	var s float64
	for _, p := range parts {
		s += p
	}
	return s
}

func sumFloats(d []float32) float32 {
	var s0, s1, s2, s3 float32
	for i := 0; i+3 < len(d); i += 4 {
		s0 += d[i]
		s1 += d[i+1]
		s2 += d[i+2]
		s3 += d[i+3]
	}
	return s0 + s1 + s2 + s3
}

func sumBytes(d []uint8) uint64 {
	var s0, s1, s2, s3 uint64
	for i := 0; i+3 < len(d); i += 4 {
		s0 += uint64(d[i])
		s1 += uint64(d[i+1])
		s2 += uint64(d[i+2])
		s3 += uint64(d[i+3])
	}
	return s0 + s1 + s2 + s3
}

// BenchmarkSgemmOnly runs only the matrix products of BenchmarkSearch on
// data already in float32: the arithmetic floor of the search with this
// BLAS, 64 × 20,000 × 12,288 multiply-adds.
func BenchmarkSgemmOnly(b *testing.B) {
	const dim, nTrain, nQuery = 64 * 64 * 3, 20000, 64
	q := make([]float32, nQuery*dim)
	blk := make([]float32, blockFaces*dim)
	prod := make([]float32, nQuery*blockFaces)
	for i := range blk {
		blk[i] = float32(i%255) / 255
	}
	copy(q, blk)
	for b.Loop() {
		for lo := 0; lo < nTrain; lo += blockFaces {
			n := min(blockFaces, nTrain-lo)
			openBLAS.Sgemm(blas.NoTrans, blas.Trans, nQuery, n, dim, 1, q, dim,
				blk, dim, 0, prod, n)
		}
	}
	flops := 2.0 * nQuery * nTrain * dim
	b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}
