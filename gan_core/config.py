"""RunConfig: the one validated, JSON-serialisable description of a training run.

It is the single source for the launch form (via its JSON schema and the ``group``
hint on each field), the REST body, validation and the OpenAPI docs. Components
never see it whole: :meth:`RunConfig.parts` splits it into their small configs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gan_core.pointsets import NAME_PATTERN

BuiltinDataset = Literal[
    "gaussian-1d",
    "line-2d",
    "blobs-2d",
    "ring-8",
    "grid-25",
    "spiral-2d",
    "digits",
    "mnist",
    "fashion-mnist",
]
BUILTIN_DATASETS: tuple[str, ...] = get_args(BuiltinDataset)
IMAGE_DATASETS: frozenset[str] = frozenset({"digits", "mnist", "fashion-mnist"})
MIXTURE_DATASETS: frozenset[str] = frozenset({"ring-8", "grid-25", "blobs-2d"})

ModelFamily = Literal["mlp", "dcgan"]
BUILTIN_MODELS: tuple[str, ...] = get_args(ModelFamily)
MAX_PARAMS_BYTES = 4096  # a plugin's parameters, as JSON
Activation = Literal["relu", "leaky_relu", "selu", "elu", "tanh"]
OutputActivation = Literal["linear", "selu", "tanh", "sigmoid"]
LossName = Literal["minimax", "non-saturating", "wgan-gp", "hinge", "lsgan"]
OptimizerName = Literal["sgd", "adam"]
Prior = Literal["normal", "uniform"]
Device = Literal["auto", "cpu", "cuda"]
ImageSize = Literal[28, 32, 64]
ImageChannels = Literal["auto", "gray", "rgb"]


def _f(
    group: str,
    description: str,
    *,
    choices_from: str | None = None,
    params_for: str | None = None,
    **kw: Any,
) -> Any:
    """A pydantic Field carrying the form group it belongs to (and, for a field whose
    choices live on the server, the endpoint that lists them; for a plugin's parameters,
    the field naming the plugin)."""
    extra: dict[str, Any] = {"group": group}
    if choices_from is not None:
        extra["choices_from"] = choices_from
    if params_for is not None:
        extra["params_for"] = params_for
    return Field(description=description, json_schema_extra=extra, **kw)


class RunConfig(BaseModel):
    """Everything that defines a run. Every field has bounds; see ``model_json_schema()``."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # --- data ---
    dataset: str = _f(
        "data",
        "Real data the generator must learn: a built-in set "
        f"({', '.join(get_args(BuiltinDataset))}), a point set uploaded to this server or an "
        "image folder in its data folder (GET /api/datasets lists them).",
        default="ring-8",
        choices_from="/api/datasets",
        pattern=NAME_PATTERN,
        max_length=40,
    )
    data_dim: int = _f("data", "gaussian-1d: length of each real vector.", default=1, ge=1, le=1024)
    data_mean: float = _f(
        "data", "gaussian-1d: mean of the real entries.", default=4.0, ge=-100, le=100
    )
    data_std: float = _f(
        "data", "gaussian-1d: std of the real entries.", default=1.25, gt=0, le=100
    )
    n_blobs: int = _f("data", "blobs-2d: number of Gaussian blobs.", default=3, ge=1, le=16)
    mixture_std: float | None = _f(
        "data",
        "Std of each mixture component; empty = the standard geometry "
        "(ring-8 0.01, grid-25 0.05, blobs-2d 0.1).",
        default=None,
        gt=0,
        le=2,
    )
    data_dir: str | None = _f(
        "data",
        "mnist / fashion-mnist: folder holding MNIST/raw or FashionMNIST/raw IDX files "
        "(empty = GANWATCH_DATA_DIR or ./data).",
        default=None,
        max_length=1024,
    )
    dataset_params: dict[str, Any] = _f(
        "data",
        "A dataset plugin's parameters (its schema: GET /api/datasets); empty otherwise.",
        default_factory=dict,
        params_for="dataset",
    )
    image_size: ImageSize = _f(
        "data", "Image folders: the side images are resized and centre-cropped to.", default=32
    )
    image_channels: ImageChannels = _f(
        "data",
        "Image folders: gray, rgb, or auto (gray when every image is gray).",
        default="auto",
    )
    # --- model ---
    model: str = _f(
        "model",
        "Network family: mlp (toy data), dcgan (images) or a model plugin installed on this "
        "server (GET /api/models lists them).",
        default="mlp",
        choices_from="/api/models",
        pattern=NAME_PATTERN,
        max_length=40,
    )
    model_params: dict[str, Any] = _f(
        "model",
        "A model plugin's parameters (its schema: GET /api/models); empty for mlp and dcgan.",
        default_factory=dict,
        params_for="model",
    )
    latent_dim: int = _f("model", "Size of the noise vector z.", default=2, ge=1, le=512)
    prior: Prior = _f("model", "Distribution of z.", default="normal")
    latent_classes: int = _f(
        "model",
        "InfoGAN's categorical code: z's first N entries are a one-hot code of N categories,"
        " and D learns to tell the code back from G(z), so G keeps the categories apart"
        " (0 = none; fewer than latent_dim).",
        default=0,
        ge=0,
        le=64,
    )
    g_hidden: int = _f(
        "model", "Generator width (MLP units, or DCGAN base channels).", default=128, ge=4, le=2048
    )
    g_layers: int = _f("model", "Generator hidden layers (MLP).", default=3, ge=1, le=8)
    g_activation: Activation = _f("model", "Generator hidden activation (MLP).", default="relu")
    g_output: OutputActivation = _f(
        "model", "Generator output activation (MLP; DCGAN always uses tanh).", default="linear"
    )
    d_hidden: int = _f(
        "model",
        "Discriminator width (MLP units, or DCGAN base channels).",
        default=128,
        ge=4,
        le=2048,
    )
    d_layers: int = _f("model", "Discriminator hidden layers (MLP).", default=2, ge=1, le=8)
    d_activation: Activation = _f("model", "Discriminator hidden activation (MLP).", default="relu")
    dense_hidden: int = _f(
        "model",
        "DCGAN: units of a fully connected layer between z and G's first map and between"
        " D's last map and its logit (0 = none, as in the DCGAN paper).",
        default=0,
        ge=0,
        le=2048,
    )
    # --- training ---
    loss: LossName = _f("training", "GAN objective.", default="non-saturating")
    r1_gamma: float = _f(
        "training", "R1 penalty on D's real samples (0 = off).", default=0.1, ge=0, le=1000
    )
    r1_every: int = _f(
        "training", "Apply the R1 penalty every N discriminator steps.", default=4, ge=1, le=64
    )
    gp_lambda: float = _f(
        "training", "WGAN-GP gradient penalty weight.", default=10.0, ge=0, le=1000
    )
    optimizer: OptimizerName = _f("training", "Optimizer for both networks.", default="adam")
    lr_g: float = _f("training", "Generator learning rate.", default=2e-3, gt=0, le=1.0)
    lr_d: float = _f("training", "Discriminator learning rate.", default=2e-3, gt=0, le=1.0)
    momentum: float = _f("training", "SGD momentum.", default=0.9, ge=0, lt=1)
    beta1: float = _f("training", "Adam beta1.", default=0.0, ge=0, lt=1)
    beta2: float = _f("training", "Adam beta2.", default=0.9, ge=0, lt=1)
    batch_size: int = _f("training", "Samples per batch.", default=256, ge=1, le=4096)
    d_steps: int = _f(
        "training", "Discriminator steps per generator step (k).", default=1, ge=1, le=20
    )
    steps: int = _f("training", "Generator steps in the run.", default=5000, ge=1, le=1_000_000)
    lr_decay: float = _f(
        "training",
        "Last fraction of the run over which both learning rates fall linearly to a tenth "
        "(0 = constant rates).",
        default=0.0,
        ge=0,
        le=1,
    )
    ema: float = _f(
        "training",
        "EMA decay of G's weights used for samples and quality (0 = off).",
        default=0.99,
        ge=0,
        lt=1,
    )
    seed: int = _f("training", "Random seed.", default=0, ge=0, le=2**31 - 1)
    device: Device = _f("training", "Where to train: auto picks CUDA when present.", default="auto")
    amp: bool = _f("training", "Mixed precision on CUDA (ignored on CPU).", default=False)
    # --- reporting ---
    metrics_every: int = _f(
        "reporting", "Steps aggregated into one metrics frame.", default=10, ge=1, le=10_000
    )
    metrics_per_second: float = _f(
        "reporting",
        "Metrics frames a second at most: a fast run gathers more steps into each "
        "(0 = one every metrics_every steps).",
        default=10.0,
        ge=0,
        le=100,
    )
    samples_per_second: float = _f(
        "reporting",
        "Samples frames a second of a 1-D/2-D run, from the training generator "
        "(0 = every samples_every steps instead).",
        default=10.0,
        ge=0,
        le=30,
    )
    samples_every: int = _f(
        "reporting",
        "Steps between sample snapshots of image runs (and of 1-D/2-D runs when "
        "samples_per_second is 0).",
        default=250,
        ge=1,
        le=100_000,
    )
    quality_every: int = _f(
        "reporting", "Steps between quality evaluations.", default=500, ge=1, le=100_000
    )
    n_samples: int = _f(
        "reporting", "Generated points per snapshot (1-D/2-D).", default=512, ge=16, le=10_000
    )
    heatmap_size: int = _f(
        "reporting", "Grid resolution of D's decision heat map (2-D).", default=48, ge=8, le=200
    )
    checkpoint_every: int = _f(
        "reporting",
        "Steps between checkpoints written by the caller (0 = only at the end).",
        default=2000,
        ge=0,
        le=1_000_000,
    )

    @field_validator("model_params", "dataset_params")
    @classmethod
    def _small_params(cls, v: dict[str, Any]) -> dict[str, Any]:
        if len(json.dumps(v)) > MAX_PARAMS_BYTES:
            raise ValueError(f"at most {MAX_PARAMS_BYTES} bytes of parameters as JSON")
        return v

    @model_validator(mode="after")
    def _params_need_a_plugin(self) -> RunConfig:
        if self.model_params and self.model in BUILTIN_MODELS:
            raise ValueError(f"model_params: {self.model!r} takes none (they are a plugin's)")
        if self.dataset_params and self.dataset in BUILTIN_DATASETS:
            raise ValueError(f"dataset_params: {self.dataset!r} takes none (they are a plugin's)")
        return self

    @model_validator(mode="after")
    def _code_fits(self) -> RunConfig:
        if self.latent_classes and self.latent_classes >= self.latent_dim:
            raise ValueError("latent_classes: the code needs fewer entries than latent_dim")
        if self.latent_classes and self.model not in BUILTIN_MODELS:
            raise ValueError("latent_classes: only the built-in models (mlp, dcgan) read a code")
        return self

    @field_validator("data_dir")
    @classmethod
    def _empty_dir_is_none(cls, v: str | None) -> str | None:
        return v or None

    @model_validator(mode="after")
    def _check_family(self) -> RunConfig:
        # Only built-in sets are known here; the server checks the others (an image folder
        # or an uploaded point set) by their kind.
        if (
            self.model == "dcgan"
            and self.dataset in BUILTIN_DATASETS
            and self.dataset not in IMAGE_DATASETS
        ):
            raise ValueError("model: 'dcgan' needs an image dataset (digits, mnist, fashion-mnist)")
        return self

    def parts(self) -> ConfigParts:
        """Split into the small configs each component takes."""
        return ConfigParts(
            data=DataConfig(
                name=self.dataset,
                dim=self.data_dim,
                mean=self.data_mean,
                std=self.data_std,
                n_blobs=self.n_blobs,
                mixture_std=self.mixture_std,
                data_dir=self.data_dir,
                image_size=self.image_size,
                image_channels=self.image_channels,
                params=self.dataset_params,
            ),
            generator=NetConfig(
                family=self.model,
                hidden=self.g_hidden,
                layers=self.g_layers,
                dense=self.dense_hidden,
                activation=self.g_activation,
                output=self.g_output,
            ),
            discriminator=NetConfig(
                family=self.model,
                hidden=self.d_hidden,
                layers=self.d_layers,
                dense=self.dense_hidden,
                activation=self.d_activation,
                output="linear",
                codes=self.latent_classes,
            ),
            loss=LossConfig(
                name=self.loss,
                r1_gamma=self.r1_gamma,
                r1_every=self.r1_every,
                gp_lambda=self.gp_lambda,
            ),
        )


@dataclass(frozen=True)
class DataConfig:
    """What a real-data sampler needs."""

    name: str
    dim: int = 1
    mean: float = 4.0
    std: float = 1.25
    n_blobs: int = 3
    mixture_std: float | None = None
    data_dir: str | None = None
    image_size: int = 32
    image_channels: str = "auto"
    params: dict[str, Any] = field(default_factory=dict)  # a dataset plugin's


@dataclass(frozen=True)
class NetConfig:
    """What one network (G or D) needs; shapes come from the data at build time."""

    family: str
    hidden: int
    layers: int
    activation: str
    output: str
    dense: int = 0  # DCGAN: units of the fully connected layer at z / at the logit
    codes: int = 0  # D: categories of the latent code its second head reads back (InfoGAN)


@dataclass(frozen=True)
class LossConfig:
    """The objective and its regularisers."""

    name: str
    r1_gamma: float = 0.0
    r1_every: int = 1
    gp_lambda: float = 10.0


@dataclass(frozen=True)
class ConfigParts:
    data: DataConfig
    generator: NetConfig
    discriminator: NetConfig
    loss: LossConfig
