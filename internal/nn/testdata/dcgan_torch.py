"""One DCGAN training iteration in PyTorch, for comparison with the Go
benchmark BenchmarkDCGANStep: the default 64x64 model at batch 64, a
discriminator step then a generator step, on CPU with 2 threads.

    /usr/bin/python3 internal/nn/testdata/dcgan_torch.py [iterations]

By default the generator step draws a new forward pass of the generator,
as the Go trainer does; --reuse-fake reuses the discriminator step's fake
images (the PyTorch DCGAN example's way, one generator forward per
iteration). Prints images/s and the peak resident memory.
"""
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(1)
BATCH = 64


def generator():
    layers = []
    chans = [512, 256, 128, 64]
    for cin, cout in zip(chans, chans[1:]):
        layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                   nn.Conv2d(cin, cout, 3, 1, 1, bias=False),
                   nn.BatchNorm2d(cout), nn.ReLU(True)]
    layers += [nn.Upsample(scale_factor=2, mode="nearest"),
               nn.Conv2d(64, 3, 3, 1, 1), nn.Tanh()]
    return nn.Sequential(nn.Linear(100, 4 * 4 * 512, bias=False),
                         nn.Unflatten(1, (512, 4, 4)),
                         nn.BatchNorm2d(512), nn.ReLU(True), *layers)


def discriminator():
    layers = [nn.Conv2d(3, 64, 4, 2, 1), nn.LeakyReLU(0.2, True)]
    chans = [64, 128, 256, 512]
    for cin, cout in zip(chans, chans[1:]):
        layers += [nn.Conv2d(cin, cout, 4, 2, 1, bias=False),
                   nn.BatchNorm2d(cout), nn.LeakyReLU(0.2, True)]
    layers += [nn.Conv2d(512, 1, 4, 1, 0), nn.Flatten(0)]
    return nn.Sequential(*layers)


def init(m):
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.normal_(m.weight, 0, 0.02)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    iters = int(args[0]) if args else 5
    reuse = "--reuse-fake" in sys.argv
    G, D = generator(), discriminator()
    G.apply(init)
    D.apply(init)
    optG = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    real = torch.rand(BATCH, 3, 64, 64) * 2 - 1

    def iteration():
        z = torch.randn(BATCH, 100)
        fake = G(z)
        optD.zero_grad()
        loss_d = (F.softplus(-D(real)).mean() + F.softplus(D(fake.detach())).mean())
        loss_d.backward()
        optD.step()
        if not reuse:
            fake = G(z)
        optG.zero_grad()
        loss_g = F.softplus(-D(fake)).mean()
        loss_g.backward()
        optG.step()

    iteration()  # warm-up
    start = time.perf_counter()
    for _ in range(iters):
        iteration()
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mode = "reuse-fake" if reuse else "regenerate"
    print(f"torch {torch.__version__} {mode}: {BATCH * iters / elapsed:.1f} img/s, "
          f"{elapsed / iters:.3f} s/iteration, peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
