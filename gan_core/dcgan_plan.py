"""The shape plan of the DCGAN pair for each image size; imports no torch.

The generator projects z to a ``start`` x ``start`` map, then doubles it ``n_up`` times
with stride-2 transposed convolutions, halving the channels each time, to reach the
image size; the discriminator mirrors it. :mod:`gan_core.models` builds from this plan
and :mod:`app.limits` counts parameters from it, so the two cannot drift apart.

====  =====  ====  ====================================  =================================
size  start  n_up  G channels (ngf = generator width)     D channels (ndf = its width)
====  =====  ====  ====================================  =================================
8     2      2     4ngf, 2ngf, C                          C, ndf, 2ndf, then 1 (kernel 2)
28    7      2     4ngf, 2ngf, C                          C, ndf, 2ndf, then 1 (kernel 7)
32    4      3     8ngf, 4ngf, 2ngf, C                    C, ndf, 2ndf, 4ndf, then 1 (k 4)
64    4      4     16ngf, 8ngf, 4ngf, 2ngf, C             C, ndf, ..., 8ndf, then 1 (k 4)
====  =====  ====  ====================================  =================================
"""

from __future__ import annotations

from dataclasses import dataclass

START = {8: 2, 28: 7, 32: 4, 64: 4}
IMAGE_SIZES: tuple[int, ...] = tuple(START)


@dataclass(frozen=True)
class DCGANPlan:
    """Channels of each map, from the projection to the image (G) or back (D)."""

    start: int  # side of G's first map and of D's last one
    g_channels: tuple[int, ...]  # G's maps after the projection and each up step; last = C
    d_channels: tuple[int, ...]  # D's maps: the image's C, then one per down step


def dcgan_plan(sample_shape: tuple[int, ...], ngf: int, ndf: int) -> DCGANPlan:
    """The plan for (C, H, W) images with H = W in IMAGE_SIZES; ValueError otherwise."""
    if len(sample_shape) != 3 or sample_shape[1] != sample_shape[2] or sample_shape[1] not in START:
        raise ValueError(
            f"DCGAN handles (C, H, W) images with H = W in {IMAGE_SIZES}, got {sample_shape}"
        )
    channels, size = sample_shape[0], sample_shape[1]
    start = START[size]
    n_up = (size // start).bit_length() - 1  # size = start * 2**n_up
    g = tuple(ngf * 2 ** (n_up - i) for i in range(n_up)) + (channels,)
    d = (channels,) + tuple(ndf * 2**i for i in range(n_up))
    return DCGANPlan(start=start, g_channels=g, d_channels=d)
