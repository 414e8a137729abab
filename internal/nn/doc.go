// Package nn holds fast gorgonia operations for the convolutional GAN:
// a 2-D convolution, a 2x nearest upsample fused or not with a 3x3
// convolution, a batch norm fused with its activation, and a handoff
// that splits a graph's run around other graphs.
//
// Every operation is a gorgonia.Op with symbolic differentiation, so it
// takes part in gorgonia.Grad and runs in a tape machine like the stock
// operations. They differ from the stock ones in how they run:
//
//   - a convolution unfolds one sample at a time (im2col) into a buffer
//     kept by the operation, or not at all where the products can read
//     the input in place (wide upsampling convolutions, a kernel that
//     covers its input), and the samples of a batch are spread over
//     GOMAXPROCS goroutines, each calling a single-threaded sgemm;
//   - elementwise work (upsample, batch norm, activations) is parallel;
//   - outputs live in one arena laid out when graphs are built, each
//     graph in its own region and the regions of different graphs
//     overlapping, and scratch buffers come from a shared pool: a training
//     step allocates no large buffer once the first step has run, and a
//     program of several graphs needs the memory of its largest one.
//
// Because of that sharing, the values a run leaves in this package's
// nodes are valid until the next run of any graph that uses them: copy
// what must last longer (gorgonia.Read does). Two graphs that use these
// operations must not run at the same time, with one exception: a graph
// kept apart (KeepApart) has memory of its own, so its run may wait at a
// Handoff while other graphs run.
//
// The default build multiplies matrices with OpenBLAS (cgo, -lopenblas)
// and sets OpenBLAS to one thread, because the operations parallelise
// over the batch themselves. Building with CGO_ENABLED=0 or the tag
// purego uses gonum's pure-Go BLAS instead.
package nn
