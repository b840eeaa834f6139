"""RunConfig: bounds, messages that name the field, JSON round-trip, presets."""

import json

import pytest
from pydantic import ValidationError

from gan_core.config import RunConfig
from gan_core.presets import PRESETS, preset_config


def test_defaults_are_valid_and_round_trip_through_json() -> None:
    config = RunConfig(dataset="grid-25", lr_g=1e-4, prior="uniform")
    again = RunConfig.model_validate(json.loads(config.model_dump_json()))
    assert again == config


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("batch_size", 0, "greater than or equal to 1"),
        ("batch_size", 99999, "less than or equal to 4096"),
        ("lr_g", 0.0, "greater than 0"),
        ("lr_d", 5.0, "less than or equal to 1"),
        ("d_steps", 21, "less than or equal to 20"),
        ("latent_dim", 0, "greater than or equal to 1"),
        ("dataset", "Not A Slug", "String should match pattern"),
        ("loss", "wasserstein", "minimax"),
    ],
)
def test_out_of_range_values_name_the_field_and_the_bound(
    field: str, value: object, needle: str
) -> None:
    with pytest.raises(ValidationError) as info:
        RunConfig.model_validate({field: value})
    errors = info.value.errors()
    assert len(errors) == 1
    assert errors[0]["loc"] == (field,)
    assert needle in errors[0]["msg"]


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError) as info:
        RunConfig.model_validate({"learning_rate": 0.1})
    assert info.value.errors()[0]["loc"] == ("learning_rate",)


def test_dcgan_needs_an_image_dataset() -> None:
    with pytest.raises(ValidationError, match="dcgan"):
        RunConfig(dataset="ring-8", model="dcgan")
    assert RunConfig(dataset="digits", model="dcgan").model == "dcgan"
    assert RunConfig(dataset="a-folder", model="dcgan").model == "dcgan"  # the server checks


def test_a_latent_code_leaves_noise_in_z_and_needs_a_built_in_model() -> None:
    assert RunConfig(latent_dim=10, latent_classes=8).parts().discriminator.codes == 8
    with pytest.raises(ValidationError, match="fewer entries than latent_dim"):
        RunConfig(latent_dim=8, latent_classes=8)
    with pytest.raises(ValidationError, match="built-in models"):
        RunConfig(latent_dim=10, latent_classes=8, model="some-plugin")


def test_schema_groups_every_field_for_the_form() -> None:
    props = RunConfig.model_json_schema()["properties"]
    assert set(props) == set(RunConfig.model_fields)
    assert {p["group"] for p in props.values()} == {"data", "model", "training", "reporting"}
    assert props["batch_size"]["minimum"] == 1 and props["batch_size"]["maximum"] == 4096
    assert all(p.get("description") for p in props.values())


def test_parts_split_the_config_for_each_component() -> None:
    parts = RunConfig(dataset="gaussian-1d", data_dim=3, g_hidden=64, d_layers=4).parts()
    assert parts.data.name == "gaussian-1d" and parts.data.dim == 3
    assert parts.generator.hidden == 64 and parts.discriminator.layers == 4
    assert parts.discriminator.output == "linear"


def test_every_preset_is_a_valid_config() -> None:
    for name in PRESETS:
        assert preset_config(name).steps >= 1
    assert preset_config("ring-8", {"steps": 10}).steps == 10
    with pytest.raises(KeyError, match="unknown preset"):
        preset_config("nope")
    with pytest.raises(ValidationError):
        preset_config("ring-8", {"steps": -1})
