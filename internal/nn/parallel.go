package nn

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallel calls fn(worker, i) for every i in [0, n), spreading the calls
// over at most GOMAXPROCS goroutines. worker is in [0, workers(n)) and no
// two concurrent calls share it, so fn may use per-worker scratch space.
func parallel(n int, fn func(worker, i int)) {
	w := workers(n)
	if w <= 1 {
		for i := range n {
			fn(0, i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for worker := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(worker, i)
			}
		}()
	}
	wg.Wait()
}

// parallelFixed is parallel with a fixed share of [0, n) per worker, a
// contiguous block, so that per-worker partial sums, and so results, do
// not depend on timing.
func parallelFixed(n int, fn func(worker, i int)) {
	w := workers(n)
	var wg sync.WaitGroup
	for worker := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := worker * n / w; i < (worker+1)*n/w; i++ {
				fn(worker, i)
			}
		}()
	}
	wg.Wait()
}

// workers is the number of goroutines parallel uses for n items.
func workers(n int) int {
	return max(1, min(n, runtime.GOMAXPROCS(0)))
}

// grain is the fewest elements worth handing to a goroutine.
const grain = 1 << 14

// chunks splits [0, n) into about 4 pieces per worker and calls
// fn(lo, hi) on each in parallel: the shape of elementwise loops.
func chunks(n int, fn func(lo, hi int)) { split(n, grain, fn) }

// rowChunks is chunks over rows of width elements each.
func rowChunks(rows, width int, fn func(lo, hi int)) {
	split(rows, max(1, grain/max(1, width)), fn)
}

// split cuts [0, n) into at most 4 pieces per worker of at least min
// items each and calls fn(lo, hi) on each piece in parallel.
func split(n, least int, fn func(lo, hi int)) {
	pieces := min(4*runtime.GOMAXPROCS(0), (n+least-1)/least)
	if pieces <= 1 {
		fn(0, n)
		return
	}
	size := (n + pieces - 1) / pieces
	// Rounding the size up may leave the last pieces empty: drop them.
	pieces = (n + size - 1) / size
	parallel(pieces, func(_, p int) {
		fn(p*size, min(n, (p+1)*size))
	})
}

// scratch is a set of reusable buffers of one role (unfolded columns,
// partial sums...) within a workspace.
type scratch struct {
	f32 [][]float32
	f64 [][]float64
}

// buffers returns count buffers of n elements each, reusing earlier ones.
// Their contents are undefined.
func buffers[T float](s *scratch, count, n int) [][]T {
	var zero T
	switch any(zero).(type) {
	case float32:
		s.f32 = grow(s.f32, count, n)
		return any(s.f32[:count]).([][]T)
	default:
		s.f64 = grow(s.f64, count, n)
		return any(s.f64[:count]).([][]T)
	}
}

func grow[T float](bufs [][]T, count, n int) [][]T {
	for len(bufs) < count {
		bufs = append(bufs, nil)
	}
	for i := range count {
		if cap(bufs[i]) < n {
			bufs[i] = make([]T, n)
		}
		bufs[i] = bufs[i][:n]
	}
	return bufs
}

// workspace is the scratch memory of one running operation. Operations
// take one from the pool for the length of a Do and give it back, so that
// all operations share a few workspaces (one per machine running at the
// same time) and their buffers grow to the largest need and stay.
type workspace struct {
	cols, tmp, parts, sums scratch
}

var workspaces struct {
	sync.Mutex
	free []*workspace
}

// acquire takes a workspace from the pool, making one if none is free.
func acquire() *workspace {
	workspaces.Lock()
	defer workspaces.Unlock()
	if n := len(workspaces.free); n > 0 {
		ws := workspaces.free[n-1]
		workspaces.free = workspaces.free[:n-1]
		return ws
	}
	return new(workspace)
}

// release gives a workspace back to the pool.
func release(ws *workspace) {
	workspaces.Lock()
	defer workspaces.Unlock()
	workspaces.free = append(workspaces.free, ws)
}
