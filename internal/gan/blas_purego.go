//go:build purego

package gan

// BLAS names the matrix library the graphs run on, for config.json and logs.
const BLAS = "gonum-purego"
