"""Trainer: a GAN training run as a plain iterator of typed events.

Nothing here knows who consumes the events: the CLI prints them, the server
streams them, the tests assert on them. Commands (stop, pause, resume, set_lr,
freeze) arrive through a thread-safe inbox and are applied between steps.
"""

from __future__ import annotations

import copy
import math
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from gan_core.config import MIXTURE_DATASETS, RunConfig
from gan_core.data import make_sampler
from gan_core.diagnose import Diagnostics
from gan_core.events import (
    METRIC_FIELDS,
    AlertEvent,
    Command,
    Event,
    MetricsEvent,
    QualityEvent,
    StatusEvent,
)
from gan_core.models import build_discriminator, build_generator
from gan_core.snapshots import Snapshots
from gan_core.steps import Nets, d_step, ema_update, g_step

CHECKPOINT_VERSION = 1


def pick_device(name: str) -> torch.device:
    """``auto`` means CUDA when present, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for but CUDA is not available here")
    return torch.device(name)


def torch_threads(config: RunConfig, cores: int) -> int:
    """CPU threads for torch: small MLPs lose time to thread hand-offs (and spin badly on a
    busy machine), so they take one; convolutions take the ``cores`` they are given."""
    return max(1, cores) if config.is_image else 1


def _optimizer(config: RunConfig, params: Any, lr: float) -> torch.optim.Optimizer:
    # foreach: one fused call per step instead of a Python loop over tensors (CPU default is off).
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, foreach=True)
    return torch.optim.Adam(params, lr=lr, betas=(config.beta1, config.beta2), foreach=True)


class Trainer:
    """Trains one GAN described by a RunConfig; :meth:`events` drives it."""

    def __init__(
        self,
        config: RunConfig,
        *,
        cache_dir: Path | None = None,
        checkpoint: dict[str, Any] | None = None,
    ) -> None:
        self.config = config
        self.device = pick_device(config.device)
        parts = config.parts()
        self.loss = parts.loss
        torch.manual_seed(config.seed)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.sampler = make_sampler(parts.data).to(self.device)
        shape = self.sampler.sample_shape
        g = build_generator(parts.generator, config.latent_dim, shape).to(self.device)
        d = build_discriminator(parts.discriminator, shape).to(self.device)
        self.nets = Nets(
            g=g,
            d=d,
            opt_g=_optimizer(config, g.parameters(), config.lr_g),
            opt_d=_optimizer(config, d.parameters(), config.lr_d),
            joint_d=config.model == "mlp",
            amp=config.amp and self.device.type == "cuda",
        )
        self.g_ema = copy.deepcopy(g).eval().requires_grad_(False) if config.ema > 0 else None
        self.step = 0
        self.d_iter = 0
        self._inbox: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._stop_reason: str | None = None
        self._pending: list[Tensor] = []  # one (6,) tensor of METRIC_FIELDS per step
        self._pending_steps: list[int] = []
        self.snapshots = Snapshots(config, self.sampler, self.device, cache_dir)
        self.diagnostics = Diagnostics(
            is_mixture=config.dataset in MIXTURE_DATASETS,
            modes_total=None if self.sampler.centres is None else len(self.sampler.centres),
        )
        if checkpoint is not None:
            self.load_state_dict(checkpoint)

    # --- commands ---
    def send(self, command: Command) -> None:
        """Queue a command; it takes effect before the next step (thread-safe)."""
        self._inbox.put(command)

    def _apply(self, command: Command) -> None:
        if command.name == "set_lr":
            if command.value is None or not 0 < float(command.value) <= 1:
                raise ValueError("set_lr needs a value in (0, 1]")
            opt = self.nets.opt_g if command.target == "g" else self.nets.opt_d
            for group in opt.param_groups:
                group["lr"] = float(command.value)
        elif command.name == "freeze":
            if command.target == "g":
                self.nets.freeze_g = bool(command.value)
            else:
                self.nets.freeze_d = bool(command.value)
        elif command.name == "stop":
            self._stop_reason = "stopped by user"

    def _commands(self) -> Iterator[Event]:
        """Apply queued commands; a pause blocks here until resume or stop."""
        while not self._inbox.empty():
            command = self._inbox.get()
            if command.name != "pause":
                self._apply(command)
                continue
            yield StatusEvent(status="paused", step=self.step)
            while True:
                command = self._inbox.get()  # blocks: the run is paused
                self._apply(command)
                if command.name == "stop":
                    return
                if command.name == "resume":
                    yield StatusEvent(status="running", step=self.step)
                    break

    @property
    def lrs(self) -> tuple[float, float]:
        return self.nets.opt_g.param_groups[0]["lr"], self.nets.opt_d.param_groups[0]["lr"]

    # --- training ---
    def noise(self, n: int) -> Tensor:
        """A batch of latent vectors z from the configured prior."""
        shape = (n, self.config.latent_dim)
        if self.config.prior == "uniform":
            return torch.rand(shape, generator=self.rng, device=self.device) * 2 - 1
        return torch.randn(shape, generator=self.rng, device=self.device)

    def train_step(self) -> None:
        """k discriminator steps then one generator step; figures stay on the device.

        The last D step's fake batch is kept attached to G's graph and reused by the
        G step, so G runs forward once per D step and never twice for the same z.
        """
        cfg = self.config
        for i in range(cfg.d_steps):
            real = self.sampler.sample(cfg.batch_size, self.rng) / self.sampler.scale
            last = i == cfg.d_steps - 1
            with torch.set_grad_enabled(last and not self.nets.freeze_g), self.nets.autocast():
                fake = self.nets.g(self.noise(cfg.batch_size))  # (B, *sample_shape)
            self.d_iter += 1
            d = d_step(self.nets, self.loss, real, fake, self.d_iter)
        g = g_step(self.nets, self.loss, fake)
        if self.g_ema is not None:
            ema_update(self.g_ema, self.nets.g, cfg.ema)
        self.step += 1
        self._pending.append(torch.stack([d.loss, g.loss, d.d_real, d.d_fake, g.grad, d.grad]))
        self._pending_steps.append(self.step)

    def _flush_metrics(self, started: float, rate: float) -> MetricsEvent:
        # The only host sync of the training loop: one read-back per metrics frame.
        loss_d, loss_g, d_real, d_fake, grad_g, grad_d = (
            torch.stack(self._pending).float().T.cpu().tolist()  # (6, steps)
        )
        lr_g, lr_d = self.lrs
        event = MetricsEvent(
            step=self.step,
            steps=self._pending_steps,
            loss_d=loss_d,
            loss_g=loss_g,
            d_real=d_real,
            d_fake=d_fake,
            grad_g=grad_g,
            grad_d=grad_d,
            lr_g=lr_g,
            lr_d=lr_d,
            time=round(time.perf_counter() - started, 4),
            wall=time.time(),
            steps_per_second=round(rate, 2),
        )
        self._pending, self._pending_steps = [], []
        return event

    def _quality(self) -> tuple[QualityEvent, list[AlertEvent]]:
        event, spread = self.snapshots.quality(self.step, self.eval_generator)
        return event, self.diagnostics.on_quality(event, spread)

    @property
    def eval_generator(self) -> torch.nn.Module:
        """The generator used for samples and quality: the EMA copy when there is one."""
        return self.g_ema if self.g_ema is not None else self.nets.g

    def events(self) -> Iterator[Event]:
        """Run to the end (or until stopped / diverged), yielding events as they happen."""
        cfg = self.config
        yield StatusEvent(status="running", step=self.step, config=cfg.model_dump())
        yield self.snapshots.samples(self.step, self.eval_generator, self.nets.d)
        started = time.perf_counter()
        window_start, window_step = started, self.step
        last_quality = -1
        while self.step < cfg.steps:
            yield from self._commands()
            if self._stop_reason is not None:
                break
            self.train_step()
            step = self.step
            if step % cfg.metrics_every == 0 or step == cfg.steps:
                now = time.perf_counter()
                rate = (step - window_step) / max(now - window_start, 1e-9)
                window_start, window_step = now, step
                metrics = self._flush_metrics(started, rate)
                yield metrics
                alerts = self.diagnostics.on_metrics(metrics)
                yield from alerts
                if any(a.kind == "divergence" for a in alerts):
                    yield StatusEvent(status="failed", step=step, reason=self._divergence(metrics))
                    return
            if step % cfg.samples_every == 0:
                yield self.snapshots.samples(step, self.eval_generator, self.nets.d)
            if step % cfg.quality_every == 0:
                quality, alerts = self._quality()
                last_quality = step
                yield quality
                yield from alerts
        if self._pending:
            rate = (self.step - window_step) / max(time.perf_counter() - window_start, 1e-9)
            yield self._flush_metrics(started, rate)
        if self.step % cfg.samples_every != 0:
            yield self.snapshots.samples(self.step, self.eval_generator, self.nets.d)
        if last_quality != self.step:
            quality, alerts = self._quality()
            yield quality
            yield from alerts
        if self._stop_reason is not None:
            yield StatusEvent(status="stopped", step=self.step, reason=self._stop_reason)
        else:
            yield StatusEvent(status="completed", step=self.step)

    @staticmethod
    def _divergence(metrics: MetricsEvent) -> str:
        for name in METRIC_FIELDS:
            for step, value in zip(metrics.steps, getattr(metrics, name), strict=True):
                if not math.isfinite(value):
                    return f"diverged: {name} became {value} at step {step}"
        return "diverged"

    # --- checkpoints ---
    def state_dict(self) -> dict[str, Any]:
        """A plain checkpoint dict: models, optimizers, step, controls and RNG state."""
        lr_g, lr_d = self.lrs
        return {
            "version": CHECKPOINT_VERSION,
            "config": self.config.model_dump(),
            "step": self.step,
            "d_iter": self.d_iter,
            "g": self.nets.g.state_dict(),
            "d": self.nets.d.state_dict(),
            "g_ema": None if self.g_ema is None else self.g_ema.state_dict(),
            "opt_g": self.nets.opt_g.state_dict(),
            "opt_d": self.nets.opt_d.state_dict(),
            "controls": {
                "lr_g": lr_g,
                "lr_d": lr_d,
                "freeze_g": self.nets.freeze_g,
                "freeze_d": self.nets.freeze_d,
            },
            "rng": {"torch": torch.get_rng_state(), "train": self.rng.get_state()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`'s output (same config shape)."""
        if state.get("version") != CHECKPOINT_VERSION:
            raise ValueError(f"unsupported checkpoint version {state.get('version')!r}")
        self.step = int(state["step"])
        self.d_iter = int(state["d_iter"])
        self.nets.g.load_state_dict(state["g"])
        self.nets.d.load_state_dict(state["d"])
        if self.g_ema is not None and state["g_ema"] is not None:
            self.g_ema.load_state_dict(state["g_ema"])
        self.nets.opt_g.load_state_dict(state["opt_g"])
        self.nets.opt_d.load_state_dict(state["opt_d"])
        controls = state["controls"]
        self._apply(Command("set_lr", target="g", value=controls["lr_g"]))
        self._apply(Command("set_lr", target="d", value=controls["lr_d"]))
        self.nets.freeze_g = bool(controls["freeze_g"])
        self.nets.freeze_d = bool(controls["freeze_d"])
        torch.set_rng_state(state["rng"]["torch"])
        self.rng.set_state(state["rng"]["train"])
