"""Models: shapes for every family, the lecture's bounded SELU output, the latent code,
clear errors."""

import pytest
import torch

from gan_core.config import NetConfig
from gan_core.models import (
    build_discriminator,
    build_generator,
    count_parameters,
    latent_codes,
    logits_with_code,
    sample_latent,
)


def net(family: str = "mlp", **kw: object) -> NetConfig:
    base = {"hidden": 16, "layers": 2, "activation": "relu", "output": "linear"}
    return NetConfig(family=family, **{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(1,), (2,), (5,)])
def test_mlp_pair_shapes(shape: tuple[int, ...]) -> None:
    g = build_generator(net(), latent_dim=3, sample_shape=shape)
    d = build_discriminator(net(activation="elu"), sample_shape=shape)
    x = g(torch.randn(7, 3))
    assert x.shape == (7, *shape) and d(x).shape == (7,)


def test_mlp_depth_and_width_follow_the_config() -> None:
    small = count_parameters(build_generator(net(layers=1), 2, (2,)))
    deep = count_parameters(build_generator(net(layers=3), 2, (2,)))
    assert deep - small == 2 * (16 * 16 + 16)


def test_selu_output_is_bounded_below() -> None:
    g = build_generator(net(output="selu"), 2, (2,))
    with torch.no_grad():
        for p in g.parameters():
            p.mul_(50)
        out = g(torch.randn(512, 2))
    assert out.min() >= -1.7582 and out.min() < -1.0


@pytest.mark.parametrize("dense", [0, 24])
@pytest.mark.parametrize(("channels", "size"), [(1, 8), (1, 28), (3, 32), (1, 32), (3, 64)])
def test_dcgan_pair_shapes(channels: int, size: int, dense: int) -> None:
    shape = (channels, size, size)
    g = build_generator(net("dcgan", hidden=8, dense=dense), 16, shape)
    d = build_discriminator(net("dcgan", hidden=8, dense=dense), shape)
    x = g(torch.randn(4, 16))
    assert x.shape == (4, *shape) and x.abs().max() <= 1 and d(x).shape == (4,)


def test_dcgan_refuses_other_sizes() -> None:
    with pytest.raises(ValueError, match="H = W in"):
        build_generator(net("dcgan"), 16, (1, 48, 48))


def test_the_dense_layer_sits_between_z_and_gs_first_map_and_before_ds_logit() -> None:
    shape = (1, 28, 28)
    plain = build_generator(net("dcgan", hidden=8), 16, shape)
    dense = build_generator(net("dcgan", hidden=8, dense=24), 16, shape)
    # z -> 24 units (+ batch norm), and the 7x7 projection now starts from 24, not 16
    extra = 16 * 24 + 2 * 24 + (24 - 16) * 32 * 7 * 7
    assert count_parameters(dense) - count_parameters(plain) == extra
    d = build_discriminator(net("dcgan", hidden=8, dense=24), shape)
    d_plain = build_discriminator(net("dcgan", hidden=8), shape)
    # the last 16-channel 7x7 map -> 24 units (+ batch norm) -> the logit
    assert count_parameters(d) - count_parameters(d_plain) == 16 * 49 * 23 + 2 * 24 + 24


def test_a_latent_code_is_a_one_hot_prefix_of_z_that_can_be_read_back() -> None:
    gen = torch.Generator().manual_seed(0)
    z = sample_latent("normal", 500, 12, gen, torch.device("cpu"), classes=10)
    codes = latent_codes(z, 10)
    assert codes is not None and torch.equal(z[:, :10], torch.eye(10)[codes])
    assert set(codes.tolist()) == set(range(10))  # every category drawn
    assert z[:, 10:].std() > 0.8  # the rest stays noise
    assert latent_codes(z, 0) is None
    # Without a code z is drawn as it always was: old runs replay unchanged.
    plain = sample_latent("normal", 5, 12, torch.Generator().manual_seed(0), torch.device("cpu"))
    assert torch.equal(plain, torch.randn(5, 12, generator=torch.Generator().manual_seed(0)))


@pytest.mark.parametrize(
    ("family", "shape", "dense"),
    [("mlp", (2,), 0), ("dcgan", (1, 28, 28), 0), ("dcgan", (1, 28, 28), 24)],
)
def test_d_reads_the_code_from_the_input_of_its_logit(
    family: str, shape: tuple[int, ...], dense: int
) -> None:
    plain = build_discriminator(net(family, hidden=8, dense=dense), shape)
    d = build_discriminator(net(family, hidden=8, dense=dense, codes=5), shape)
    inputs = 8 if family == "mlp" else dense or 16 * 7 * 7  # what the logit reads
    assert count_parameters(d) - count_parameters(plain) == (inputs + 1) * 5
    x = torch.randn(6, *shape)
    logits, code_logits = logits_with_code(d, x)
    assert logits.shape == (6,) and code_logits.shape == (6, 5)
    assert torch.allclose(logits, d(x))  # the same pass as D's own logit
    with pytest.raises(RuntimeError, match="without a latent code"):
        logits_with_code(plain, x)
    with pytest.raises(TypeError, match="built-in"):
        logits_with_code(torch.nn.Linear(2, 1), x)
