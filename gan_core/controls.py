"""A run's live controls: what commands change between steps, kept in its checkpoints.

Learning rates, frozen networks, k (D updates per G update), the loss, each network's
optimizer, the slow-motion pace and the latent dimensions the manifold spans. The
config holds the values a run starts with; these are the values in force. A config's
``lr_decay`` scales the set learning rates down over the run's end (:func:`decay_scale`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from gan_core.config import LossConfig, RunConfig
from gan_core.events import MAX_PACE, Command
from gan_core.liveview import LiveView
from gan_core.losses import LOSSES
from gan_core.steps import Nets

OPTIMIZERS = ("adam", "sgd")
DECAY_FLOOR = 0.1  # the rates' scale at the end of a run with ``lr_decay``


def decay_scale(step: int, steps: int, fraction: float) -> float:
    """The learning rates' scale at training step ``step`` (1-based) of ``steps``: 1, then
    over the last ``fraction`` of the run falling linearly to ``DECAY_FLOOR`` at the last."""
    n = round(fraction * steps)
    start = steps - n
    if n <= 0 or step <= start:
        return 1.0
    return 1.0 - (1.0 - DECAY_FLOOR) * min(step - start, n) / n


def make_optimizer(name: str, config: RunConfig, params: Any, lr: float) -> torch.optim.Optimizer:
    """SGD with the config's momentum, or Adam with its betas."""
    # foreach: one fused call per step instead of a Python loop over tensors (CPU default is off).
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, foreach=True)
    return torch.optim.Adam(params, lr=lr, betas=(config.beta1, config.beta2), foreach=True)


class Controls:
    """The live settings of one run and the commands that change them."""

    def __init__(
        self, config: RunConfig, nets: Nets, loss: LossConfig, view: LiveView | None
    ) -> None:
        self.config = config
        self.nets = nets
        self.loss = loss
        self.view = view
        self.d_steps = config.d_steps
        self.optimizers: dict[str, str] = {"g": config.optimizer, "d": config.optimizer}
        self.pace = 0.0  # steps a second; 0 = full speed
        # The rates a user set (or the config's), before the end-of-run decay scales them.
        self._base = {"g": config.lr_g, "d": config.lr_d}
        self._scale = 1.0

    def schedule(self, done: int) -> None:
        """Put in force the rates of the step after ``done`` steps: the set rates scaled by
        the config's end-of-run decay (a no-op without one)."""
        if self.config.lr_decay <= 0:
            return
        self._scale = decay_scale(done + 1, self.config.steps, self.config.lr_decay)
        for net, base in self._base.items():
            self._set_rate(net, base * self._scale)

    def _set_rate(self, net: str, lr: float) -> None:
        for group in self._optimizer(net).param_groups:
            group["lr"] = lr

    def lr(self, net: str) -> float:
        return float(self._optimizer(net).param_groups[0]["lr"])

    def _optimizer(self, net: str) -> torch.optim.Optimizer:
        return self.nets.opt_g if net == "g" else self.nets.opt_d

    def apply(self, command: Command) -> bool:
        """Apply a control command; True when the live view's reference changed with it."""
        name, target, value = command.name, command.target, command.value
        if name == "set_lr":
            if not isinstance(value, int | float) or not 0 < float(value) <= 1:
                raise ValueError("set_lr needs a value in (0, 1]")
            # The rate in force from now on; a decaying run keeps scaling it down from here.
            self._base[str(target)] = float(value) / self._scale
            self._set_rate(str(target), float(value))
        elif name == "freeze":
            if target == "g":
                self.nets.freeze_g = bool(value)
            else:
                self.nets.freeze_d = bool(value)
        elif name == "set_k":
            if not isinstance(value, int | float) or not 1 <= int(value) <= 20:
                raise ValueError("set_k needs a value in 1..20")
            self.d_steps = int(value)
        elif name == "set_pace":
            if not isinstance(value, int | float) or not 0 <= float(value) <= MAX_PACE:
                raise ValueError(f"set_pace needs 0 (full speed) or 1..{MAX_PACE:g} steps/s")
            self.pace = float(value)
        elif name == "set_loss":
            if value not in LOSSES:
                raise ValueError(f"set_loss needs one of {', '.join(LOSSES)}")
            self.loss = dataclasses.replace(self.loss, name=str(value))
            if self.view is not None:
                self.view.loss = self.loss.name
            return True
        elif name == "set_optimizer":
            self._set_optimizer(str(target), str(value))
        elif name == "set_view":
            if self.view is None or not isinstance(value, list):
                raise ValueError("set_view needs a 1-D or 2-D run and a list of dimensions")
            self.view.set_dims(value)
            return True
        return False

    def _set_optimizer(self, net: str, name: str) -> None:
        """Give ``net`` a fresh optimizer of kind ``name`` at its current learning rate."""
        if name not in OPTIMIZERS:
            raise ValueError(f"set_optimizer needs one of {', '.join(OPTIMIZERS)}")
        model = self.nets.g if net == "g" else self.nets.d
        optimizer = make_optimizer(name, self.config, model.parameters(), self.lr(net))
        if net == "g":
            self.nets.opt_g = optimizer
        else:
            self.nets.opt_d = optimizer
        self.optimizers[net] = name

    def state(self) -> dict[str, Any]:
        """The controls as a checkpoint keeps them (the rates before any decay's scale)."""
        return {
            "lr_g": self._base["g"],
            "lr_d": self._base["d"],
            "freeze_g": self.nets.freeze_g,
            "freeze_d": self.nets.freeze_d,
            "d_steps": self.d_steps,
            "loss": self.loss.name,
            "optimizer_g": self.optimizers["g"],
            "optimizer_d": self.optimizers["d"],
            "pace": self.pace,
            "manifold_dims": None if self.view is None else self.view.dims,
        }

    def load(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state`'s output; call before loading the optimizers' states.

        Checkpoints from before the live k, loss and optimizers lack those keys: the
        config's values stand.
        """
        for net in ("g", "d"):
            name = state.get(f"optimizer_{net}", self.config.optimizer)
            if name != self.optimizers[net]:
                self._set_optimizer(net, name)
            # The set rate, which may pass 1 once a decay has scaled it down: no set_lr check.
            self._base[net] = float(state[f"lr_{net}"])
            self._set_rate(net, self._base[net])
        self.nets.freeze_g = bool(state["freeze_g"])
        self.nets.freeze_d = bool(state["freeze_d"])
        self.d_steps = int(state.get("d_steps", self.config.d_steps))
        self.apply(Command("set_loss", value=state.get("loss", self.config.loss)))
        self.pace = float(state.get("pace", 0.0))
        dims = state.get("manifold_dims")
        if self.view is not None and dims:
            self.view.set_dims(list(dims))
