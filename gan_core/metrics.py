"""Quality figures: mode coverage on Gaussian mixtures, distances, gradient norms.

Mode coverage follows VEEGAN (Srivastava et al. 2017) and PacGAN (Lin et al. 2018):
each generated sample goes to its nearest mode centre; it is *high-quality* when it lies within
``hq_sigmas`` (3) standard deviations of that centre; a mode is *covered* when at
least one high-quality sample falls to it, and *strictly covered* when at least
``strict_fraction`` (1%) of all samples are high-quality samples of it. ``kl`` is
the reverse KL divergence KL(q || u) of the histogram q of high-quality samples
over the modes (with eps = 1e-10 added to empty bins, then renormalised) against
the uniform histogram u: 0 when every mode gets the same share, log K when all
high-quality samples sit on one mode; log K too when there is none.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

KL_EPS = 1e-10


@dataclass
class ModeStats:
    covered: int
    covered_strict: int
    total: int
    high_quality: float
    kl: float


def mode_stats(
    samples: Tensor,
    centres: Tensor,
    sigma: float,
    *,
    hq_sigmas: float = 3.0,
    strict_fraction: float = 0.01,
) -> ModeStats:
    """Modes covered, strictly covered, high-quality fraction and KL for (N, d) samples."""
    samples = samples.float()
    centres = centres.to(samples.device, torch.float32)
    total = centres.shape[0]
    dist = torch.cdist(samples, centres)  # (N, K)
    nearest_dist, nearest = dist.min(dim=1)  # (N,), (N,)
    finite = torch.isfinite(nearest_dist)
    hq = finite & (nearest_dist <= hq_sigmas * sigma)
    counts = torch.bincount(nearest[hq], minlength=total).double()  # (K,)
    n = max(samples.shape[0], 1)
    if counts.sum() > 0:
        q = (counts + KL_EPS) / (counts + KL_EPS).sum()
        kl = float((q * (q * total).log()).sum())
    else:
        kl = math.log(total)
    return ModeStats(
        covered=int((counts >= 1).sum()),
        covered_strict=int((counts >= strict_fraction * n).sum()),
        total=total,
        high_quality=float(hq.sum()) / n,
        kl=max(kl, 0.0),
    )


def sliced_wasserstein(a: Tensor, b: Tensor, n_projections: int = 64, seed: int = 0) -> float:
    """Sliced Wasserstein-1 distance between sample sets a (N, d) and b (M, d).

    The mean over ``n_projections`` random unit directions (fixed by ``seed``) of the exact W1
    between the projected empirical distributions; for d == 1 it is the exact W1 itself.
    """
    a = a.reshape(a.shape[0], -1).float()
    b = b.reshape(b.shape[0], -1).to(a.device, torch.float32)
    if not (torch.isfinite(a).all() and torch.isfinite(b).all()):
        return math.inf
    dim = a.shape[1]
    if dim == 1:
        directions = torch.ones(1, 1, device=a.device)
    else:
        gen = torch.Generator().manual_seed(seed)
        directions = torch.randn(dim, n_projections, generator=gen).to(a.device)
        directions = directions / directions.norm(dim=0, keepdim=True)  # (d, P)
    return float(
        _w1_sorted((a @ directions).sort(dim=0).values, (b @ directions).sort(dim=0).values)
    )


def _w1_sorted(qa: Tensor, qb: Tensor) -> Tensor:
    """Mean over columns of the exact W1 between sorted samples qa (N, P) and qb (M, P).

    W1 = integral over u in (0, 1] of |F_a^-1(u) - F_b^-1(u)|; both quantile functions are
    constant between consecutive breakpoints {i/N} U {j/M}, which are kept as integers in units
    of 1/(N M) so that the interval indices are exact.
    """
    n, m = qa.shape[0], qb.shape[0]
    ends = torch.cat([torch.arange(1, n + 1) * m, torch.arange(1, m + 1) * n]).unique()  # sorted
    widths = torch.diff(ends, prepend=torch.zeros(1, dtype=ends.dtype)).double() / (n * m)
    ia = ((ends + m - 1) // m - 1).to(qa.device)  # quantile index of a on each interval
    ib = ((ends + n - 1) // n - 1).to(qa.device)
    gaps = (qa[ia] - qb[ib]).abs().double()  # (intervals, P)
    return (gaps * widths.to(qa.device)[:, None]).sum(dim=0).mean()


def spread_ratio(generated: Tensor, real: Tensor) -> float:
    """Mean per-dimension std of the generated samples over that of the real ones.

    Near 1 for a generator that spreads like the data; near 0 when it collapses.
    """
    g = generated.reshape(generated.shape[0], -1).float()
    r = real.reshape(real.shape[0], -1).float()
    real_std = float(r.std(dim=0).mean())
    return float(g.std(dim=0).mean()) / real_std if real_std > 0 else math.nan


def grad_norm(parameters: Iterable[nn.Parameter]) -> Tensor:
    """Total L2 norm of the parameters' gradients, a 0-d tensor on their device.

    No host sync here: the caller reads it back (``.item()``) when it reports.
    """
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.zeros(())
    return torch.nn.utils.get_total_norm(grads)
