// Package gan trains a DCGAN on face shards and generates faces from its
// checkpoints.
//
// The generator maps a standard normal latent vector z through a linear
// layer to a 4×4 feature map, then doubles the resolution with blocks of
// nearest-neighbour upsampling, 3×3 convolution, batch norm and ReLU, and
// ends with a convolution to RGB and tanh. The discriminator halves the
// resolution with 4×4 stride-2 convolutions and LeakyReLU (batch norm on all
// but the first) down to 4×4, then a 4×4 convolution gives one logit. Both are
// trained with the non-saturating loss and Adam, one discriminator step then
// one generator step per iteration.
//
// A run folder holds config.json, metrics.jsonl, loss.png, samples/ and
// checkpoints/; Train writes it and resumes it, Generate and LoadRunConfig
// read it.
//
// All layers of the model are made in layers.go, so that the operations they
// use can be swapped for faster ones in one place.
package gan
