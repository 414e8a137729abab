"""The train command's default DCGAN in PyTorch, timed on the CPU.

Same model, loss, optimiser and step order as `train` (see internal/gan):
generator z(100) -> linear -> 4x4x512 -> BN -> ReLU -> 3 x [2x nearest
upsample, 3x3 conv, BN, ReLU] -> upsample, 3x3 conv to RGB -> tanh;
discriminator 4x4 stride-2 convs 64 (LeakyReLU 0.2), 128, 256, 512 (BN,
LeakyReLU 0.2), 4x4 valid conv to a logit; non-saturating loss from logits;
Adam 2e-4, betas (0.5, 0.999); one D step then one G step per iteration.
Batches are random pixels in [-1, 1]: speed does not depend on their values,
and both programs time the training steps only.

Prints one JSON line: {"images_per_s": ..., "steps": ..., "batch": ...}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def generator(size, width, latent):
    halvings = {32: 3, 64: 4, 128: 5}[size]
    ch = [width << (halvings - 1 - i) for i in range(halvings)]
    layers = [nn.Linear(latent, 16 * ch[0], bias=False),
              nn.Unflatten(1, (ch[0], 4, 4)), nn.BatchNorm2d(ch[0]), nn.ReLU()]
    for i in range(1, len(ch)):
        layers += [nn.Upsample(scale_factor=2, mode="nearest"),
                   nn.Conv2d(ch[i - 1], ch[i], 3, 1, 1, bias=False),
                   nn.BatchNorm2d(ch[i]), nn.ReLU()]
    layers += [nn.Upsample(scale_factor=2, mode="nearest"),
               nn.Conv2d(ch[-1], 3, 3, 1, 1), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(size, width):
    halvings = {32: 3, 64: 4, 128: 5}[size]
    ch = [width << i for i in range(halvings)]
    layers = [nn.Conv2d(3, ch[0], 4, 2, 1), nn.LeakyReLU(0.2)]
    for i in range(1, len(ch)):
        layers += [nn.Conv2d(ch[i - 1], ch[i], 4, 2, 1, bias=False),
                   nn.BatchNorm2d(ch[i]), nn.LeakyReLU(0.2)]
    layers += [nn.Conv2d(ch[-1], 1, 4, 1, 0), nn.Flatten(0)]
    return nn.Sequential(*layers)


def init(m):
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.normal_(m.weight, 0, 0.02)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--latent", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    G, D = generator(a.size, a.width, a.latent), discriminator(a.size, a.width)
    G.apply(init)
    D.apply(init)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

    start = time.perf_counter()
    for _ in range(a.steps):
        real = torch.rand(a.batch, 3, a.size, a.size) * 2 - 1
        z = torch.randn(a.batch, a.latent)
        fake = G(z)

        opt_d.zero_grad()
        loss_d = (F.softplus(-D(real)).mean() +
                  F.softplus(D(fake.detach())).mean())
        loss_d.backward()
        opt_d.step()

        opt_g.zero_grad()
        loss_g = F.softplus(-D(fake)).mean()
        loss_g.backward()
        opt_g.step()
    secs = time.perf_counter() - start
    print(json.dumps({"images_per_s": a.steps * a.batch / secs,
                      "steps": a.steps, "batch": a.batch,
                      "loss_d": loss_d.item(), "loss_g": loss_g.item()}))


if __name__ == "__main__":
    main()
