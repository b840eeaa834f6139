"""GAN objectives on D's logits, each written as a loss to minimise.

The sigmoid lives here, not in D, and every log-probability is a softplus of the
logit: log D = -softplus(-l), log(1 - D) = -softplus(l). That keeps the
saturating minimax loss finite where a naive log(1 - sigmoid(l)) gives -inf.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

LOSSES: tuple[str, ...] = ("minimax", "non-saturating", "wgan-gp", "hinge", "lsgan")


def _check(name: str) -> None:
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")


def d_loss(name: str, real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """The discriminator's (critic's) loss on a real and a fake batch of logits."""
    _check(name)
    if name in ("minimax", "non-saturating"):
        # D ascends log D(x) + log(1 - D(G(z))) (Goodfellow et al., Algorithm 1).
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()
    if name == "wgan-gp":
        return fake_logits.mean() - real_logits.mean()
    if name == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    # Least squares (Mao et al.), targets a=0 for fake and b=1 for real.
    return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits**2).mean()


def g_loss(name: str, fake_logits: Tensor) -> Tensor:
    """The generator's loss on D's logits for a fake batch."""
    _check(name)
    if name == "minimax":
        # G descends log(1 - D(G(z))): the original, saturating objective.
        return -F.softplus(fake_logits).mean()
    if name == "non-saturating":
        # G ascends log D(G(z)) instead: strong gradients when D rejects the fakes.
        return F.softplus(-fake_logits).mean()
    if name in ("wgan-gp", "hinge"):
        return -fake_logits.mean()
    return 0.5 * ((fake_logits - 1) ** 2).mean()


def probabilities(name: str, logits: Tensor) -> Tensor:
    """D's output as a probability for the D(x) / D(G(z)) plots: sigmoid of the logit."""
    _check(name)
    return torch.sigmoid(logits)


def _input_grad(d: nn.Module, x: Tensor) -> Tensor:
    """d D(x) / dx for every sample, kept in the graph so a penalty can be trained on."""
    x = x.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(d(x).sum(), x, create_graph=True)
    return grad.reshape(grad.shape[0], -1)  # (B, prod(sample_shape))


def gradient_penalty(
    d: nn.Module, real: Tensor, fake: Tensor, generator: torch.Generator | None = None
) -> Tensor:
    """WGAN-GP (Gulrajani et al.): mean (||grad D(x_hat)|| - 1)^2 on random interpolates."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    alpha = torch.rand(shape, generator=generator, device=real.device)
    x_hat = alpha * real.detach() + (1 - alpha) * fake.detach()
    return ((_input_grad(d, x_hat).norm(dim=1) - 1) ** 2).mean()


def r1_penalty(d: nn.Module, real: Tensor) -> Tensor:
    """R1 (Mescheder et al.): mean ||grad_x D(x)||^2 on real samples; the caller scales it."""
    return _input_grad(d, real).pow(2).sum(dim=1).mean()
