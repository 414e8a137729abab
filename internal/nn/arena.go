package nn

import (
	"runtime"
	"sync"
	"weak"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// arena holds the output tensors of every operation of this package.
// Each graph gets its own region of it, one slice per operation, laid out
// when the graph is built; the regions of different graphs overlap. So a
// program of several graphs run one after the other (a discriminator step,
// a generator step, a sampler) needs the memory of its largest graph, not
// of all of them, and a run allocates nothing once the arena has grown.
//
// The price: the outputs of one graph's run are overwritten by the next
// run of any graph, and two graphs must not run at the same time.
//
// TODO: within a graph every output keeps its own slice, though most
// gradients die right after the next layer's gradient reads them; laying
// slices out by value lifetime (which the tape machine's register
// allocation knows, but does not expose) would shrink the arena further.
type arena struct {
	mu   sync.Mutex
	used map[weak.Pointer[gorgonia.ExprGraph]]*[2]int // elements per dtype
	f32  []float32
	f64  []float64
}

var outputs = newArena()

func newArena() *arena {
	return &arena{used: map[weak.Pointer[gorgonia.ExprGraph]]*[2]int{}}
}

// apart holds the arenas of the graphs kept apart, one each.
var apart struct {
	sync.Mutex
	arenas map[weak.Pointer[gorgonia.ExprGraph]]*arena
}

// KeepApart gives g's outputs memory of their own, which the runs of
// other graphs leave alone, so that g's run may be paused while others
// run (see Handoff). Call it on a new graph, before adding operations.
func KeepApart(g *gorgonia.ExprGraph) {
	apart.Lock()
	defer apart.Unlock()
	if apart.arenas == nil {
		apart.arenas = map[weak.Pointer[gorgonia.ExprGraph]]*arena{}
	}
	key := weak.Make(g)
	if apart.arenas[key] == nil {
		apart.arenas[key] = newArena()
		runtime.AddCleanup(g, func(key weak.Pointer[gorgonia.ExprGraph]) {
			apart.Lock()
			defer apart.Unlock()
			delete(apart.arenas, key)
		}, key)
	}
}

// arenaOf returns the arena that holds g's outputs.
func arenaOf(g *gorgonia.ExprGraph) *arena {
	apart.Lock()
	defer apart.Unlock()
	if a := apart.arenas[weak.Make(g)]; a != nil {
		return a
	}
	return outputs
}

// dtypeIndex is 0 for float32 and 1 for float64.
func dtypeIndex(dt tensor.Dtype) (int, bool) {
	switch dt {
	case tensor.Float32:
		return 0, true
	case tensor.Float64:
		return 1, true
	}
	return 0, false
}

// reserve lays out n elements of dtype dt in g's region and returns their
// offset. The layout of a graph that is collected is forgotten.
func (a *arena) reserve(g *gorgonia.ExprGraph, dt tensor.Dtype, n int) (int, bool) {
	k, ok := dtypeIndex(dt)
	if !ok || g == nil {
		return 0, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	key := weak.Make(g)
	u := a.used[key]
	if u == nil {
		u = new([2]int)
		a.used[key] = u
		runtime.AddCleanup(g, a.forget, key)
	}
	off := u[k]
	u[k] += n
	return off, true
}

func (a *arena) forget(key weak.Pointer[gorgonia.ExprGraph]) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.used, key)
}

// slice returns elements [off, off+n) of the arena of T, growing it to the
// largest region laid out if it is too short.
func arenaSlice[T float](a *arena, off, n int) []T {
	a.mu.Lock()
	defer a.mu.Unlock()
	var zero T
	k, _ := dtypeIndex(tensor.Float32)
	if _, is64 := any(zero).(float64); is64 {
		k = 1
	}
	need := off + n
	for _, u := range a.used {
		need = max(need, u[k])
	}
	if k == 0 {
		if len(a.f32) < off+n {
			a.f32 = make([]float32, need)
		}
		return any(a.f32[off : off+n]).([]T)
	}
	if len(a.f64) < off+n {
		a.f64 = make([]float64, need)
	}
	return any(a.f64[off : off+n]).([]T)
}
