"""Trainer: a GAN training run as a plain iterator of typed events.

Nothing here knows who consumes the events: the CLI prints them, the server
streams them, the tests assert on them. Commands (gan_core.events.Command) arrive
through a thread-safe inbox and are applied between steps. While paused the trainer
waits for commands; a ``step`` command then runs D updates, G updates or whole
iterations and reports them with one metrics and one samples event.

Which steps report metrics and samples is :class:`gan_core.cadence.Cadence`'s: samples of
1-D and 2-D runs paced by wall time, metrics gathered over steps and capped per second.
"""

from __future__ import annotations

import copy
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gan_core.cadence import Cadence
from gan_core.config import MIXTURE_DATASETS, RunConfig
from gan_core.controls import Controls, make_optimizer
from gan_core.data import make_sampler
from gan_core.devices import pick_device
from gan_core.diagnose import Diagnostics
from gan_core.events import (
    AlertEvent,
    Command,
    Event,
    MetricsEvent,
    Phase,
    QualityEvent,
    ReferenceEvent,
    SamplesEvent,
    StatusEvent,
)
from gan_core.liveview import LiveView
from gan_core.models import build_pair, latent_codes, sample_latent
from gan_core.snapshots import Snapshots
from gan_core.step_metrics import StepMetrics, divergence
from gan_core.steps import DStats, GStats, Nets, d_step, ema_update, g_step

CHECKPOINT_VERSION = 1
HEATMAP_EVERY = 3  # points frames carry D's map on every third frame (every frame when stepping)
MAX_MANUAL_STEPS = 1000


class Trainer:
    """Trains one GAN described by a RunConfig; :meth:`events` drives it.

    ``start_paused``: after its first status, reference and samples events the run waits
    paused at its first step, for ``step`` commands or ``resume``.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        cache_dir: Path | None = None,
        checkpoint: dict[str, Any] | None = None,
        start_paused: bool = False,
        points: np.ndarray | None = None,
    ) -> None:
        self.config = config
        self.device = pick_device(config.device)
        parts = config.parts()
        torch.manual_seed(config.seed)
        self.rng = torch.Generator(device=self.device).manual_seed(config.seed)
        self.sampler = make_sampler(parts.data, points).to(self.device)
        shape = self.sampler.sample_shape
        g, d = build_pair(
            parts.generator, parts.discriminator, config.latent_dim, shape, config.model_params
        )
        g, d = g.to(self.device), d.to(self.device)
        self.nets = Nets(
            g=g,
            d=d,
            opt_g=make_optimizer(config.optimizer, config, g.parameters(), config.lr_g),
            opt_d=make_optimizer(config.optimizer, config, d.parameters(), config.lr_d),
            joint_d=config.model == "mlp",
            amp=config.amp and self.device.type == "cuda",
        )
        self.g_ema = copy.deepcopy(g).eval().requires_grad_(False) if config.ema > 0 else None
        self.step = 0
        self.d_iter = 0
        self._inbox: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._stop_reason: str | None = None
        self._failure: str | None = None  # why the run diverged, once it has
        self.metrics = StepMetrics(time.perf_counter())
        self.snapshots = Snapshots(config, self.sampler, self.device, cache_dir)
        n = config.n_samples
        self.view = (
            None
            if self.sampler.is_image
            else LiveView(
                config,
                self.sampler,
                self.snapshots.eval_noise[:n],
                self.snapshots.real_eval[:n],
                parts.loss.name,
            )
        )
        self.controls = Controls(config, self.nets, parts.loss, self.view)
        self.diagnostics = Diagnostics(
            is_mixture=config.dataset in MIXTURE_DATASETS,
            modes_total=None if self.sampler.centres is None else len(self.sampler.centres),
        )
        self._frames = 0  # points frames so far (every HEATMAP_EVERY-th carries the map)
        self._frame_step = -1  # step of the latest samples event
        self._reference_due = False
        if checkpoint is not None:
            self.load_state_dict(checkpoint)
        if start_paused:
            self.send(Command("pause"))

    # --- commands ---
    def send(self, command: Command) -> None:
        """Queue a command; it takes effect before the next step (thread-safe)."""
        self._inbox.put(command)

    def _apply(self, command: Command) -> None:
        if command.name == "stop":
            self._stop_reason = "stopped by user"
        elif command.name not in ("pause", "resume", "step"):
            self._reference_due |= self.controls.apply(command)

    def _commands(self) -> Iterator[Event]:
        """Apply queued commands; a pause waits here until resume or stop."""
        while not self._inbox.empty():
            command = self._inbox.get()
            if command.name == "pause":
                if self.metrics:  # a paused run has reported every step it trained
                    yield from self._report()
                    if self._failure is not None:
                        return
                yield StatusEvent(status="paused", step=self.step)
                yield from self._paused()
                if self._stop_reason is not None:
                    return
            else:
                self._apply(command)
        if self._reference_due:
            yield self._reference()

    def _paused(self) -> Iterator[Event]:
        """Wait for commands (the run is paused): steps, controls, then resume or stop."""
        while True:
            command = self._inbox.get()  # blocks
            if command.name == "step":
                yield from self._manual(command)
            else:
                self._apply(command)
            if self._reference_due:
                yield self._reference()
            if command.name == "stop":
                return
            if command.name == "resume":
                yield StatusEvent(status="running", step=self.step)
                return

    def _manual(self, command: Command) -> Iterator[Event]:
        """Run a ``step`` command's updates, then report them: one metrics, one samples event."""
        network: Phase = command.target or "both"
        value = command.value
        count = min(int(value), MAX_MANUAL_STEPS) if isinstance(value, int | float) else 1
        for _ in range(count):
            if self.step >= self.config.steps:
                break
            self.manual_step(network)
        if self.metrics:
            yield self._flush_metrics()
        yield self._samples(phase=network, with_map=True)

    @property
    def lrs(self) -> tuple[float, float]:
        return self.controls.lr("g"), self.controls.lr("d")

    # --- training ---
    def _latent(self, n: int) -> tuple[Tensor, Tensor | None]:
        """A batch of z from the configured prior and the categories of its latent code
        (None without one)."""
        config = self.config
        z = sample_latent(
            config.prior, n, config.latent_dim, self.rng, self.device, config.latent_classes
        )
        return z, latent_codes(z, config.latent_classes)

    def _real(self) -> Tensor:
        return self.sampler.sample(self.config.batch_size, self.rng) / self.sampler.scale

    def train_step(self) -> None:
        """k discriminator steps then one generator step; figures stay on the device.

        The last D step's fake batch is kept attached to G's graph and reused by the
        G step, so G runs forward once per D step and never twice for the same z.
        """
        self.controls.schedule(self.step)
        k, loss, batch = self.controls.d_steps, self.controls.loss, self.config.batch_size
        for i in range(k):
            real = self._real()
            last = i == k - 1
            z, codes = self._latent(batch)
            with torch.set_grad_enabled(last and not self.nets.freeze_g), self.nets.autocast():
                fake = self.nets.g(z)  # (B, *sample_shape)
            self.d_iter += 1
            d = d_step(self.nets, loss, real, fake, self.d_iter, codes)
        g = g_step(self.nets, loss, fake, codes)
        if self.g_ema is not None:
            ema_update(self.g_ema, self.nets.g, self.config.ema)
        self._record(d, g)

    def manual_step(self, network: Phase) -> None:
        """One D update (``d``), one G update (``g``) or one iteration (``both``).

        A D update leaves G as it is and a G update leaves D: the other network's
        figures are still computed, without a gradient, so every step has its metrics.
        """
        if network == "both":
            self.train_step()
            return
        self.controls.schedule(self.step)
        nets, loss, batch = self.nets, self.controls.loss, self.config.batch_size
        real = self._real()
        z, codes = self._latent(batch)
        if network == "d":
            with torch.no_grad(), nets.autocast():
                fake = nets.g(z)
            self.d_iter += 1
            d = d_step(nets, loss, real, fake, self.d_iter, codes)
            g = g_step(nets, loss, fake, codes)  # fake carries no graph: G's figures only
        else:
            with torch.set_grad_enabled(not nets.freeze_g), nets.autocast():
                fake = nets.g(z)
            frozen, nets.freeze_d = nets.freeze_d, True
            try:
                d = d_step(nets, loss, real, fake, self.d_iter, codes)  # D's figures only
            finally:
                nets.freeze_d = frozen
            g = g_step(nets, loss, fake, codes)
            if self.g_ema is not None:
                ema_update(self.g_ema, nets.g, self.config.ema)
        self._record(d, g)

    def _record(self, d: DStats, g: GStats) -> None:
        self.step += 1
        self.metrics.record(self.step, d, g)

    def _flush_metrics(self) -> MetricsEvent:
        return self.metrics.flush(self.lrs, time.perf_counter())

    def _report(self) -> Iterator[Event]:
        """The steps gathered so far as a metrics event, then its alerts; a divergence
        sets ``_failure`` (the caller ends the run)."""
        metrics = self._flush_metrics()
        yield metrics
        alerts = self.diagnostics.on_metrics(metrics)
        yield from alerts
        if any(a.kind == "divergence" for a in alerts):
            self._failure = divergence(metrics)

    def _quality(self) -> tuple[QualityEvent, list[AlertEvent]]:
        event, spread = self.snapshots.quality(self.step, self.eval_generator)
        return event, self.diagnostics.on_quality(event, spread)

    @property
    def eval_generator(self) -> torch.nn.Module:
        """The generator quality is measured on: the EMA copy when there is one."""
        return self.g_ema if self.g_ema is not None else self.nets.g

    def _reference(self) -> ReferenceEvent:
        self._reference_due = False
        if self.view is None:
            return self.snapshots.image_reference(self.step)
        return self.view.reference(self.step)

    def _samples(self, *, phase: Phase | None = None, with_map: bool = False) -> SamplesEvent:
        """The next samples event: the image grid, or the live view of the training G."""
        self._frame_step = self.step
        if self.view is None:
            return self.snapshots.images(self.step, self.eval_generator)
        # The last frame of a run always has the map: it is what a finished run shows.
        with_map = with_map or self._frames % HEATMAP_EVERY == 0 or self.step >= self.config.steps
        self._frames += 1
        return self.view.samples(
            self.step, self.nets.g, self.nets.d, with_map=with_map, g_ema=self.g_ema, phase=phase
        )

    def events(self) -> Iterator[Event]:
        """Run to the end (or until stopped / diverged), yielding events as they happen."""
        cfg = self.config
        yield StatusEvent(status="running", step=self.step, config=cfg.model_dump())
        yield self._reference()
        yield self._samples(with_map=True)
        self.metrics.start(self.step, time.perf_counter())
        cadence = Cadence(cfg, clocked_samples=self.view is not None, start=self.metrics.started)
        paced_at = self.metrics.started
        last_quality = -1
        while self.step < cfg.steps:
            yield from self._commands()
            if self._failure is not None:
                yield StatusEvent(status="failed", step=self.step, reason=self._failure)
                return
            if self._stop_reason is not None:
                break
            pace = self.controls.pace
            if pace:
                paced_at = max(paced_at + 1 / pace, time.perf_counter())
                time.sleep(max(0.0, paced_at - time.perf_counter()))
            self.train_step()
            step = self.step
            due = cadence.due(step, time.perf_counter(), slow_motion=bool(pace))
            if due.metrics:
                yield from self._report()
                if self._failure is not None:
                    yield StatusEvent(status="failed", step=step, reason=self._failure)
                    return
            if pace:
                yield self._samples(phase="both", with_map=True)
            elif due.samples:
                yield self._samples()
            if step % cfg.quality_every == 0:
                quality, alerts = self._quality()
                last_quality = step
                yield quality
                yield from alerts
        if self.metrics:
            yield self._flush_metrics()
        if self._frame_step != self.step:
            yield self._samples(with_map=True)
        if last_quality != self.step:
            quality, alerts = self._quality()
            yield quality
            yield from alerts
        if self._stop_reason is not None:
            yield StatusEvent(status="stopped", step=self.step, reason=self._stop_reason)
        else:
            yield StatusEvent(status="completed", step=self.step)

    # --- checkpoints ---
    def state_dict(self) -> dict[str, Any]:
        """A plain checkpoint dict: models, optimizers, step, controls and RNG state."""
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
            "controls": self.controls.state(),
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
        self.controls.load(state["controls"])  # first: it may swap an optimizer's kind
        self.nets.opt_g.load_state_dict(state["opt_g"])
        self.nets.opt_d.load_state_dict(state["opt_d"])
        self.controls.schedule(self.step)
        torch.set_rng_state(state["rng"]["torch"])
        self.rng.set_state(state["rng"]["train"])
