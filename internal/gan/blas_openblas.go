//go:build !purego

package gan

// #cgo LDFLAGS: -lopenblas
import "C"

import (
	"gonum.org/v1/netlib/blas/netlib"
	"gorgonia.org/gorgonia"
)

// BLAS names the matrix library the graphs run on, for config.json and logs.
const BLAS = "openblas"

// OpenBLAS is about 2.7 times faster than gonum's pure-Go BLAS on the
// convolutions; the purego build tag keeps a build without cgo.
func init() { gorgonia.Use(netlib.Implementation{}) }
