"""One GAN training step, read like the paper: D on real and on G(z).detach(), then G.

Each step returns its figures as 0-d tensors on the device; nothing here calls
``.item()``, so a step never waits for the device. The trainer stacks the figures
and reads them back once per metrics frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gan_core.config import LossConfig
from gan_core.losses import d_loss, g_loss, gradient_penalty, probabilities, r1_penalty
from gan_core.metrics import grad_norm
from gan_core.models import logits_with_code

CODE_WEIGHT = 1.0  # InfoGAN's lambda for a categorical code (Chen et al. 2016)


@dataclass
class Nets:
    """The two networks, their optimizers and what is frozen."""

    g: nn.Module
    d: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    freeze_g: bool = False
    freeze_d: bool = False
    joint_d: bool = True  # D sees real and fake in one pass (no batch norm in D)
    amp: bool = False  # bf16 autocast of the forward passes (CUDA only)

    def autocast(self) -> torch.autocast:
        """The forward passes' precision context: bf16 on CUDA when ``amp``, else a no-op."""
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=self.amp)

    def __post_init__(self) -> None:
        self.d_params: list[nn.Parameter] = list(self.d.parameters())


@dataclass
class DStats:
    loss: Tensor
    d_real: Tensor
    d_fake: Tensor
    grad: Tensor


@dataclass
class GStats:
    loss: Tensor
    grad: Tensor


def _d_logits(
    d: nn.Module, real: Tensor, fake: Tensor, joint: bool, codes: Tensor | None
) -> tuple[Tensor, Tensor, Tensor | None]:
    """D's logits on the real and the fake batch, and on the fakes' latent code when
    ``codes`` is given: one forward pass when ``joint``.

    A joint pass halves the kernel launches for small MLPs; nets with batch norm must
    see real and fake separately (as in the dcgan example), so they pass ``joint=False``.
    """
    with_code = codes is not None
    if not joint:
        return d(real), *_d_pass(d, fake, with_code)
    logits, code_logits = _d_pass(d, torch.cat([real, fake]), with_code)  # (2B,), (2B, codes)
    n = real.shape[0]
    return logits[:n], logits[n:], None if code_logits is None else code_logits[n:]


def _d_pass(d: nn.Module, x: Tensor, with_code: bool) -> tuple[Tensor, Tensor | None]:
    """D's logits (B,) on ``x`` and, ``with_code``, its reading of the latent code."""
    return logits_with_code(d, x) if with_code else (d(x), None)


def code_loss(code_logits: Tensor | None, codes: Tensor | None) -> Tensor | float:
    """InfoGAN's term: the cross-entropy of D's reading of the latent code (0 without one)."""
    if code_logits is None or codes is None:
        return 0.0
    return CODE_WEIGHT * F.cross_entropy(code_logits.float(), codes)


def d_step(
    nets: Nets,
    loss: LossConfig,
    real: Tensor,
    fake: Tensor,
    d_iter: int,
    codes: Tensor | None = None,
) -> DStats:
    """One discriminator update on a real batch and a (detached) fake batch; with the
    fakes' latent ``codes``, D also learns to read the code back (InfoGAN).

    With D frozen the figures are still computed (D(x), D(G(z)) stay on the plots)
    but no gradient is taken.
    """
    fake = fake.detach()
    with torch.set_grad_enabled(not nets.freeze_d):
        with nets.autocast():
            real_logits, fake_logits, code_logits = _d_logits(
                nets.d, real, fake, nets.joint_d, codes
            )  # (B,), (B,), (B, codes) or None
        real_logits, fake_logits = real_logits.float(), fake_logits.float()
        total = d_loss(loss.name, real_logits, fake_logits)
    stats = DStats(
        loss=total.detach(),
        d_real=probabilities(loss.name, real_logits.detach()).mean(),
        d_fake=probabilities(loss.name, fake_logits.detach()).mean(),
        grad=torch.zeros((), device=real.device),
    )
    if nets.freeze_d:
        return stats
    total = total + code_loss(code_logits, codes)
    if loss.name == "wgan-gp" and loss.gp_lambda > 0:
        total = total + loss.gp_lambda * gradient_penalty(nets.d, real, fake)
    if loss.r1_gamma > 0 and d_iter % loss.r1_every == 0:
        # Lazy regularisation (StyleGAN2): scale by the interval so the mean penalty is unchanged.
        total = total + 0.5 * loss.r1_gamma * loss.r1_every * r1_penalty(nets.d, real)
    nets.opt_d.zero_grad(set_to_none=True)
    total.backward()
    stats.grad = grad_norm(nets.d.parameters())
    nets.opt_d.step()
    return stats


def g_step(nets: Nets, loss: LossConfig, fake: Tensor, codes: Tensor | None = None) -> GStats:
    """One generator update through the current discriminator; with the fakes' latent
    ``codes``, G is also pushed to make its code readable to D (InfoGAN).

    ``fake`` is G(z) still attached to G's graph (the batch D just saw detached,
    as the dcgan example reuses it), so G runs forward once per step.
    """
    # D's weights need no gradient here: skipping them saves part of the backward pass.
    d_params = nets.d_params
    for p in d_params:
        p.requires_grad_(False)
    try:
        with nets.autocast():
            fake_logits, code_logits = _d_pass(nets.d, fake, codes is not None)  # D(G(z))
        adversarial = g_loss(loss.name, fake_logits.float())
    finally:
        for p in d_params:
            p.requires_grad_(True)
    stats = GStats(loss=adversarial.detach(), grad=torch.zeros((), device=adversarial.device))
    if nets.freeze_g or not adversarial.requires_grad:
        return stats
    total = adversarial + code_loss(code_logits, codes)
    nets.opt_g.zero_grad(set_to_none=True)
    total.backward()
    stats.grad = grad_norm(nets.g.parameters())
    nets.opt_g.step()
    return stats


def ema_update(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model, parameters and buffers."""
    with torch.no_grad():
        ema_params: list[Tensor] = list(ema.parameters())
        params: list[Tensor] = list(model.parameters())
        torch._foreach_lerp_(ema_params, params, 1.0 - decay)
        for b_ema, b in zip(ema.buffers(), model.buffers(), strict=True):
            b_ema.copy_(b)
