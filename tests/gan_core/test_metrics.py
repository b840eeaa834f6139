"""Known-answer tests for the quality figures."""

import math

import pytest
import torch
from torch import nn

from gan_core.data import ring_centres
from gan_core.metrics import KL_EPS, grad_norm, mode_stats, sliced_wasserstein, spread_ratio

SIGMA = 0.01
CENTRES = ring_centres()  # (8, 2)


def at_modes(counts: list[int], rng: torch.Generator) -> torch.Tensor:
    """counts[k] samples within one sigma of mode k."""
    idx = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    jitter = (torch.rand(len(idx), 2, generator=rng) - 0.5) * SIGMA  # |offset| < sigma
    return CENTRES[idx] + jitter


def reverse_kl(counts: list[int]) -> float:
    """The docstring's formula: KL(q || uniform), q = smoothed normalised counts."""
    q = [(c + KL_EPS) / (sum(counts) + KL_EPS * len(counts)) for c in counts]
    return sum(p * math.log(p * len(counts)) for p in q)


def test_every_mode_evenly_hit_is_covered_with_zero_kl(rng: torch.Generator) -> None:
    stats = mode_stats(at_modes([25] * 8, rng), CENTRES, SIGMA)
    assert (stats.covered, stats.covered_strict, stats.total) == (8, 8, 8)
    assert stats.high_quality == 1.0
    assert stats.kl == pytest.approx(0.0, abs=1e-12)


def test_a_collapsed_generator_covers_one_mode_with_kl_log_k(rng: torch.Generator) -> None:
    stats = mode_stats(at_modes([200, 0, 0, 0, 0, 0, 0, 0], rng), CENTRES, SIGMA)
    assert (stats.covered, stats.covered_strict, stats.high_quality) == (1, 1, 1.0)
    assert stats.kl == pytest.approx(reverse_kl([200] + [0] * 7), rel=1e-9)
    assert stats.kl == pytest.approx(math.log(8), abs=1e-6)


def test_half_on_two_of_four_modes_gives_kl_log_2(rng: torch.Generator) -> None:
    stats = mode_stats(at_modes([50, 50, 0, 0, 0, 0, 0, 0], rng), CENTRES[:4], SIGMA)
    assert stats.total == 4 and stats.covered == 2
    assert stats.kl == pytest.approx(math.log(2), abs=1e-6)


def test_samples_far_from_every_mode_cover_nothing() -> None:
    far = torch.full((100, 2), 10.0)
    stats = mode_stats(far, CENTRES, SIGMA)
    assert (stats.covered, stats.covered_strict, stats.high_quality) == (0, 0, 0.0)
    assert stats.kl == pytest.approx(math.log(8))


def test_strict_coverage_needs_one_percent_of_the_samples(rng: torch.Generator) -> None:
    samples = torch.cat([at_modes([990, 1, 1, 1, 1, 1, 1, 1], rng), torch.full((3, 2), 5.0)])
    stats = mode_stats(samples, CENTRES, SIGMA)
    assert (stats.covered, stats.covered_strict) == (8, 1)
    assert stats.high_quality == pytest.approx(997 / 1000)
    assert mode_stats(samples, CENTRES, SIGMA, strict_fraction=0.001).covered_strict == 8


def test_high_quality_means_within_three_sigma_of_the_nearest_mode() -> None:
    direction = CENTRES[2] / CENTRES[2].norm()
    inside = CENTRES[2] + 2.9 * SIGMA * direction
    outside = CENTRES[2] + 3.1 * SIGMA * direction
    stats = mode_stats(torch.stack([inside, outside]), CENTRES, SIGMA)
    assert (stats.covered, stats.high_quality) == (1, 0.5)
    assert mode_stats(outside[None], CENTRES, SIGMA, hq_sigmas=4.0).covered == 1


def test_nan_samples_are_never_high_quality(rng: torch.Generator) -> None:
    samples = torch.cat([at_modes([1] * 8, rng), torch.full((8, 2), math.nan)])
    stats = mode_stats(samples, CENTRES, SIGMA)
    assert (stats.covered, stats.high_quality) == (8, 0.5)


def test_sliced_wasserstein_is_zero_for_identical_sets(rng: torch.Generator) -> None:
    a = torch.randn(300, 2, generator=rng)
    assert sliced_wasserstein(a, a) == 0.0
    assert sliced_wasserstein(a, a[torch.randperm(300, generator=rng)]) == pytest.approx(
        0, abs=1e-6
    )


def test_one_dimensional_wasserstein_is_exact(rng: torch.Generator) -> None:
    a = torch.randn(500, 1, generator=rng)
    assert sliced_wasserstein(a, a + 0.75) == pytest.approx(0.75, abs=1e-6)
    # Unequal sizes: quantile functions 0|1 on halves and 0|0.5|1 on thirds differ by 0.5
    # on (1/3, 2/3], so W1 = 0.5 * 1/3.
    two, three = torch.tensor([[0.0], [1.0]]), torch.tensor([[0.0], [0.5], [1.0]])
    assert sliced_wasserstein(two, three) == pytest.approx(1 / 6, abs=1e-7)


def test_sliced_wasserstein_grows_with_a_shift_and_is_seeded(rng: torch.Generator) -> None:
    a = torch.randn(400, 2, generator=rng)
    shift = torch.tensor([1.0, 0.0])
    distances = [sliced_wasserstein(a, a + k * shift) for k in (0.5, 1.0, 2.0)]
    assert distances[0] < distances[1] < distances[2]
    # Mean |<shift, theta>| over random unit directions in the plane is 2/pi per unit shift.
    assert distances[2] == pytest.approx(2 * 2 / math.pi, rel=0.15)
    assert sliced_wasserstein(a, a + shift, seed=3) == sliced_wasserstein(a, a + shift, seed=3)
    assert sliced_wasserstein(a, torch.full((4, 2), math.inf)) == math.inf


def test_grad_norm_is_the_total_l2_norm_and_skips_missing_grads() -> None:
    a, b, c = (nn.Parameter(torch.zeros(2)) for _ in range(3))
    a.grad, b.grad = torch.tensor([3.0, 0.0]), torch.tensor([0.0, 4.0])
    norm = grad_norm([a, b, c])
    assert norm.dim() == 0 and norm.device == a.device
    assert norm.item() == pytest.approx(5.0)
    assert grad_norm([c]).item() == 0.0


def test_spread_ratio_is_the_ratio_of_mean_stds(rng: torch.Generator) -> None:
    real = torch.randn(1000, 2, generator=rng)
    assert spread_ratio(real * 0.5 + 3, real) == pytest.approx(0.5)
    assert spread_ratio(torch.ones(1000, 2), real) == 0.0
