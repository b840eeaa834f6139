"""What a run costs the server, estimated from its config alone (no torch), and its bounds.

Per-field bounds do not bound a run: 2 500 points of 1 024 dimensions every step is
valid field by field and is 100 MB of JSON a step. So a launch is also checked on
what it would cost at the fastest a run is assumed to train (``peak_steps_per_second``):
the bytes of its frames a second, the frames a second, parameters x batch (the work of
a step), checkpoint bytes a second and quality evaluations a second. The figures are
upper estimates, close to the truth for the shapes ganwatch builds (tests compare them
with torch's own counts and real frames).
"""

from __future__ import annotations

from dataclasses import dataclass

from gan_core.config import BUILTIN_MODELS, IMAGE_DATASETS, RunConfig
from gan_core.dcgan_plan import dcgan_plan
from gan_core.events import CURVE_POINTS, GRID_SIDE, MAP_POINTS_1D
from gan_core.plugins import check_params, model_plugins

JSON_NUMBER_BYTES = 11  # a value rounded to 4 decimals (gan_core.liveview), sign and ", "
GRID_IMAGES = 64  # images in a samples grid (gan_core.snapshots)
STATE_COPIES = 4  # a checkpoint holds the weights, Adam's two moments and the EMA copy
BYTES_PER_PARAMETER = 4


@dataclass(frozen=True)
class Limit:
    """One bound: the setting it comes from, and the fields that drive the figure."""

    setting: str
    fields: tuple[str, ...]


LIMITS: dict[str, Limit] = {
    "frame_bytes": Limit(
        "max_frame_bytes", ("n_samples", "data_dim", "heatmap_size", "image_size")
    ),
    "stream_bytes_per_second": Limit(
        "max_stream_bytes_per_second",
        ("samples_per_second", "samples_every", "n_samples", "data_dim", "image_size"),
    ),
    "frames_per_second": Limit(
        "max_frames_per_second",
        (
            "metrics_every",
            "metrics_per_second",
            "samples_per_second",
            "samples_every",
            "quality_every",
        ),
    ),
    "params_x_batch": Limit(
        "max_params_x_batch",
        (
            "g_hidden",
            "d_hidden",
            "dense_hidden",
            "g_layers",
            "d_layers",
            "batch_size",
            "image_size",
        ),
    ),
    "checkpoint_bytes_per_second": Limit(
        "max_checkpoint_bytes_per_second",
        ("checkpoint_every", "g_hidden", "d_hidden", "dense_hidden"),
    ),
    "quality_per_second": Limit("max_quality_per_second", ("quality_every",)),
}


def sample_shape(config: RunConfig) -> tuple[int, ...]:
    """The shape of one sample of a built-in set (as gan_core.catalog describes them)."""
    if config.dataset in IMAGE_DATASETS:
        size = 8 if config.dataset == "digits" else 28
        return (1, size, size)
    if config.dataset == "gaussian-1d":
        return (config.data_dim,)
    return (2,)


def _mlp_parameters(n_in: int, hidden: int, layers: int, n_out: int) -> int:
    return (
        (n_in * hidden + hidden)
        + (layers - 1) * (hidden * hidden + hidden)
        + (hidden * n_out + n_out)
    )


def parameters(config: RunConfig, shape: tuple[int, ...]) -> tuple[int, int]:
    """(generator, discriminator) parameter counts of the networks gan_core builds for
    samples of ``shape``; a model plugin's own count, (0, 0) when it gives none."""
    if config.model not in BUILTIN_MODELS:
        plugin = model_plugins().get(config.model)
        if plugin is None or plugin.parameters is None:
            return 0, 0
        return plugin.parameters(
            check_params(plugin, config.model_params), config.latent_dim, shape
        )
    if config.model == "mlp":
        dim = 1
        for n in shape:
            dim *= n
        g = _mlp_parameters(config.latent_dim, config.g_hidden, config.g_layers, dim)
        d = _mlp_parameters(dim, config.d_hidden, config.d_layers, 1)
        return g, d + _code_head(config, config.d_hidden)
    plan = dcgan_plan(shape, config.g_hidden, config.d_hidden)
    area, gc, dc = plan.start * plan.start, plan.g_channels, plan.d_channels
    dense = config.dense_hidden  # a fully connected layer with its batch norm, or none
    g = (config.latent_dim * dense + 2 * dense) if dense else 0
    g += (dense or config.latent_dim) * gc[0] * area + 2 * gc[0]  # projection, batch norm
    g += sum(a * b * 16 + 2 * b for a, b in zip(gc[:-2], gc[1:-1], strict=True))
    g += gc[-2] * gc[-1] * 16
    d = dc[0] * dc[1] * 16
    d += sum(a * b * 16 + 2 * b for a, b in zip(dc[1:-1], dc[2:], strict=True))
    d += (dc[-1] * area * dense + 3 * dense) if dense else dc[-1] * area
    return g, d + _code_head(config, dense or dc[-1] * area)


def _code_head(config: RunConfig, inputs: int) -> int:
    """D's head for the latent code: one layer (with biases) beside its logit's."""
    classes = config.latent_classes
    return (inputs + 1) * classes


def frame_bytes(config: RunConfig, shape: tuple[int, ...]) -> int:
    """JSON bytes of one samples frame of ``shape`` samples (points, arrows, manifold, heat
    map and EMA points; or a PNG grid)."""
    if len(shape) == 3:
        grid_pixels = GRID_IMAGES * shape[0] * (shape[1] + 2) * (shape[2] + 2)
        return grid_pixels * 4 // 3 + 1024  # base64 of at most the raw pixels
    point = shape[0] * JSON_NUMBER_BYTES + 4
    heatmap = manifold = 0
    if shape == (2,):
        heatmap = config.heatmap_size**2 * JSON_NUMBER_BYTES
        manifold = GRID_SIDE * GRID_SIDE * point
    elif shape == (1,):
        heatmap = MAP_POINTS_1D * JSON_NUMBER_BYTES
        manifold = CURVE_POINTS * point
    views = 3 if shape[0] <= 2 else 2  # points, the EMA's points and (1-D/2-D) their arrows
    return views * config.n_samples * point + manifold + heatmap + 1024


def samples_per_second(
    config: RunConfig, shape: tuple[int, ...], peak_steps_per_second: float
) -> float:
    """Samples frames a second: paced by the clock for 1-D/2-D runs (at most one a step),
    else one every ``samples_every`` steps."""
    by_steps = peak_steps_per_second / config.samples_every
    if len(shape) == 3 or config.samples_per_second == 0:
        return by_steps
    return min(config.samples_per_second, peak_steps_per_second)


def metrics_per_second(config: RunConfig, peak_steps_per_second: float) -> float:
    """Metrics frames a second: one every ``metrics_every`` steps, capped by the clock."""
    by_steps = peak_steps_per_second / config.metrics_every
    return min(by_steps, config.metrics_per_second) if config.metrics_per_second else by_steps


def costs(
    config: RunConfig, shape: tuple[int, ...], peak_steps_per_second: float
) -> dict[str, float]:
    """Every figure named in LIMITS for samples of ``shape``, at ``peak_steps_per_second``."""
    g, d = parameters(config, shape)
    rate = peak_steps_per_second
    frames = samples_per_second(config, shape, rate)
    checkpoints_per_second = rate / config.checkpoint_every if config.checkpoint_every else 0.0
    return {
        "frame_bytes": frame_bytes(config, shape),
        "stream_bytes_per_second": frame_bytes(config, shape) * frames,
        "frames_per_second": metrics_per_second(config, rate)
        + frames
        + rate / config.quality_every,
        "params_x_batch": (g + d) * config.batch_size,
        "checkpoint_bytes_per_second": (g + d)
        * STATE_COPIES
        * BYTES_PER_PARAMETER
        * checkpoints_per_second,
        "quality_per_second": rate / config.quality_every,
    }


def max_pace(config: RunConfig, shape: tuple[int, ...], bounds: dict[str, float]) -> float:
    """The fastest slow-motion pace (steps a second, a samples frame after each) whose
    frames stay within the stream-bytes and frames-a-second bounds."""
    frames_per_step = 1 + 1 / config.metrics_every + 1 / config.quality_every
    return min(
        bounds["max_stream_bytes_per_second"] / frame_bytes(config, shape),
        bounds["max_frames_per_second"] / frames_per_step,
    )


def bounds_of(settings: object) -> dict[str, float]:
    """Each limit's bound, read from the server's settings."""
    return {lim.setting: getattr(settings, lim.setting) for lim in LIMITS.values()}


def over_limits(
    config: RunConfig,
    shape: tuple[int, ...],
    bounds: dict[str, float],
    peak_steps_per_second: float,
) -> list[tuple[str, Limit, float, float]]:
    """(name, limit, cost, bound) for every figure of ``config`` on ``shape`` samples over
    its bound."""
    figures = costs(config, shape, peak_steps_per_second)
    return [
        (name, limit, figures[name], bounds[limit.setting])
        for name, limit in LIMITS.items()
        if figures[name] > bounds[limit.setting]
    ]
