"""Losses: known values, the saturation that motivates the non-saturating loss, stability."""

import math

import pytest
import torch
from torch import nn

from gan_core.losses import LOSSES, d_loss, g_loss, gradient_penalty, probabilities, r1_penalty


def test_minimax_at_equilibrium_is_two_log_two() -> None:
    zeros = torch.zeros(8)
    assert d_loss("minimax", zeros, zeros).item() == pytest.approx(2 * math.log(2))
    # G descends log(1 - D(G(z))) = log(1/2)
    assert g_loss("minimax", zeros).item() == pytest.approx(-math.log(2))
    assert g_loss("non-saturating", zeros).item() == pytest.approx(math.log(2))


def test_known_values_of_the_other_objectives() -> None:
    real, fake = torch.tensor([2.0, 0.0]), torch.tensor([-1.0, 1.0])
    assert d_loss("wgan-gp", real, fake).item() == pytest.approx(0.0 - 1.0)
    assert g_loss("wgan-gp", fake).item() == pytest.approx(0.0)
    assert d_loss("hinge", real, fake).item() == pytest.approx(0.5 + 1.0)
    assert d_loss("lsgan", real, fake).item() == pytest.approx(0.5 * 1.0 + 0.5 * 1.0)
    assert g_loss("lsgan", fake).item() == pytest.approx(0.5 * (4 + 0) / 2)


def _g_grad(name: str, logit: float) -> float:
    x = torch.tensor([logit], requires_grad=True)
    g_loss(name, x).backward()
    assert x.grad is not None
    return abs(x.grad.item())


def test_minimax_generator_gradient_vanishes_when_d_rejects_fakes() -> None:
    # D(G(z)) = sigmoid(-10) ~ 4.5e-5: the saturating loss gives G almost nothing.
    assert _g_grad("minimax", -10.0) < 1e-4
    assert _g_grad("non-saturating", -10.0) > 0.99


@pytest.mark.parametrize("name", LOSSES)
def test_losses_stay_finite_at_extreme_logits(name: str) -> None:
    big = torch.tensor([100.0, -100.0], requires_grad=True)
    loss = d_loss(name, big, -big) + g_loss(name, big)
    loss.backward()
    assert torch.isfinite(loss) and big.grad is not None and torch.isfinite(big.grad).all()
    assert torch.all((probabilities(name, big) >= 0) & (probabilities(name, big) <= 1))


def test_unknown_loss_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="non-saturating"):
        d_loss("wasserstein", torch.zeros(1), torch.zeros(1))


def _linear_critic(weight: list[float]) -> nn.Module:
    critic = nn.Linear(len(weight), 1)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([weight]))
    return nn.Sequential(critic, nn.Flatten(0))


def test_gradient_penalty_is_zero_for_a_unit_norm_linear_critic() -> None:
    critic = _linear_critic([0.6, 0.8])
    real, fake = torch.randn(16, 2), torch.randn(16, 2)
    assert gradient_penalty(critic, real, fake).item() == pytest.approx(0.0, abs=1e-10)
    steep = _linear_critic([3.0, 4.0])
    assert gradient_penalty(steep, real, fake).item() == pytest.approx(16.0)


def test_r1_penalty_is_the_squared_input_gradient() -> None:
    critic = _linear_critic([3.0, 4.0])
    penalty = r1_penalty(critic, torch.randn(5, 2))
    assert penalty.item() == pytest.approx(25.0)
    penalty.backward()  # the penalty trains D: it has a graph down to the weights
    assert critic[0].weight.grad is not None
