// Package overfit reports how close a generator's faces come to its
// training faces: for each generated face its k nearest training faces by
// mean squared error over pixels, found exactly, and, when real faces were
// held out of training, two statistics that compare the generated faces'
// distances to the training set with the held-out faces' distances.
package overfit
