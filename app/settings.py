"""Server settings: one pydantic-settings object, read from ``GANWATCH_*`` environment variables."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

CPU_SLOTS = 2  # concurrent runs on a CPU-only machine when max_concurrent_runs is unset
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")


class Settings(BaseSettings):
    """Everything the server reads from its environment (prefix ``GANWATCH_``)."""

    model_config = SettingsConfigDict(env_prefix="GANWATCH_", extra="ignore")

    db: Path = Field(
        default=Path("ganwatch.db"), description="SQLite file holding runs and history."
    )
    data_dir: Path = Field(
        default=Path("data"), description="Where image sets live (MNIST/raw, ...)."
    )
    runs_dir: Path = Field(default=Path("runs"), description="Checkpoints go to runs_dir/<id>/.")
    token: str | None = Field(
        default=None, description="When set, every API call and websocket needs this token."
    )
    max_concurrent_runs: int | None = Field(
        default=None, ge=1, description="Runs training at once (unset: 1 per GPU, else 2 on CPU)."
    )
    gpus: int | None = Field(default=None, ge=0, description="GPUs to use (unset: those visible).")
    executor: Literal["local", "ray"] = Field(
        default="local", description="Where runs execute: local worker processes, or Ray actors."
    )
    ray_address: str | None = Field(
        default=None,
        description="With the ray executor: unset starts a local Ray for the server's lifetime; "
        "'auto' or host:port joins a running cluster; ray://host:10001 uses Ray Client.",
    )
    ray_cpus_per_run: int = Field(
        default=1, ge=1, description="With the ray executor: CPUs each run's actor reserves."
    )
    warm_worker: bool = Field(
        default=True, description="Keep one worker process ready (fast launch)."
    )
    stop_timeout: float = Field(
        default=10.0, gt=0, description="Seconds a run gets to stop on shutdown."
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_steps: int = Field(default=200_000, ge=1)
    max_batch_size: int = Field(default=1024, ge=1)
    max_width: int = Field(
        default=1024, ge=4, description="Largest g_hidden / d_hidden / dense_hidden accepted."
    )
    max_depth: int = Field(default=6, ge=1, description="Largest g_layers / d_layers accepted.")
    max_viewers: int = Field(default=100, ge=1, description="Websocket viewers per run.")
    history_points: int = Field(
        default=2000, ge=2, description="Metrics points in a websocket snapshot."
    )
    ws_compression: bool = Field(
        default=False,
        description="Compress websocket frames (permessage-deflate): less traffic to remote "
        "viewers, but the server deflates every frame once per viewer.",
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Extra origins allowed to call the API and open websockets "
        "(empty: the server's own host only).",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host header values accepted (empty: the loopback names and the bind host).",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Largest request body.")
    max_upload_points: int = Field(
        default=100_000, ge=2, description="Points in one uploaded dataset (POST /api/datasets)."
    )
    max_upload_bytes: int = Field(
        default=8_000_000, ge=1024, description="Bytes of one dataset upload's request body."
    )
    max_queued_runs: int = Field(default=100, ge=1, description="Runs waiting for a slot.")
    max_viewers_per_client: int = Field(
        default=20, ge=1, description="Websocket viewers one client address may hold at once."
    )
    watchdog_timeout: float = Field(
        default=30.0, gt=0, description="Seconds a worker may go silent before it is killed."
    )
    # --- cost of a run, at the fastest it is assumed to train (app.limits) ---
    peak_steps_per_second: float = Field(
        default=2000.0, gt=0, description="The fastest a run is assumed to train."
    )
    max_frame_bytes: int = Field(default=2_000_000, ge=1, description="Bytes of one samples frame.")
    max_stream_bytes_per_second: float = Field(
        default=4_000_000, gt=0, description="Bytes of samples frames a run may send a second."
    )
    max_frames_per_second: float = Field(
        default=250, gt=0, description="Frames (metrics, samples, quality) a run may send a second."
    )
    max_params_x_batch: float = Field(
        default=5e9, gt=0, description="Parameters of G and D times the batch size."
    )
    max_checkpoint_bytes_per_second: float = Field(
        default=50e6, gt=0, description="Checkpoint bytes a run may write a second."
    )
    max_quality_per_second: float = Field(
        default=20, gt=0, description="Quality evaluations a run may make a second."
    )

    @field_validator("token")
    @classmethod
    def _empty_token_is_none(cls, v: str | None) -> str | None:
        return v or None

    def gpu_count(self) -> int:
        """GPUs workers may use: the setting, else those visible (no torch import needed)."""
        if self.gpus is not None:
            return self.gpus
        return visible_gpu_count(os.environ.get("CUDA_VISIBLE_DEVICES"), Path("/dev"))

    def slots(self) -> int:
        """How many runs train at once."""
        if self.max_concurrent_runs is not None:
            return self.max_concurrent_runs
        return self.gpu_count() or CPU_SLOTS

    def hosts(self) -> list[str]:
        """Host header values the server answers: the setting, else loopback and the bind host."""
        if self.allowed_hosts:
            return self.allowed_hosts
        return sorted({*LOOPBACK_HOSTS, self.host})

    @property
    def cache_dir(self) -> Path:
        """Where workers cache what they compute once (e.g. the image classifiers)."""
        return self.runs_dir / ".cache"

    @property
    def datasets_dir(self) -> Path:
        """Where uploaded and drawn point sets are kept (:mod:`app.uploads`)."""
        return self.runs_dir / ".datasets"


def visible_gpu_count(cuda_visible_devices: str | None, dev: Path) -> int:
    """NVIDIA GPUs this process may use, from CUDA_VISIBLE_DEVICES or the /dev/nvidiaN nodes."""
    if cuda_visible_devices is not None:
        return len([part for part in cuda_visible_devices.split(",") if part.strip()])
    if not dev.is_dir():
        return 0
    return sum(1 for node in dev.iterdir() if re.fullmatch(r"nvidia\d+", node.name))
