"""A plugin in the launch form: its parameters appear when it is chosen, are checked
against its schema, and reach the run (the example plugin is installed for the session)."""

from __future__ import annotations

import re

import httpx
import pytest
from conftest import open_form
from playwright.sync_api import Page, expect

from bench.serverlib import Server

pytestmark = pytest.mark.e2e


def test_a_plugin_shows_its_parameters_and_launches_with_them(page: Page, server: Server) -> None:
    open_form(page, server)
    page.select_option("#preset", "ring-8")
    for name, value in {"steps": "200", "g_hidden": "32", "d_hidden": "32"}.items():
        page.fill(f"#f-{name}", value)
    expect(page.locator("#f-model_params")).to_have_text("none")
    page.select_option("#f-model", "residual-mlp")
    expect(page.locator("#f-model_params-width")).to_have_value("64")
    expect(page.locator("#f-model_params-spectral_norm")).to_be_checked()
    page.fill("#f-model_params-width", "2")
    expect(page.locator("#e-model_params")).to_have_text("width must be >= 8")
    page.fill("#f-model_params-width", "24")
    expect(page.locator("#e-model_params")).to_have_text("")
    page.select_option("#f-dataset", "two-moons")
    expect(page.locator("#f-dataset_params-noise")).to_have_value("0.05")
    page.fill("#f-dataset_params-noise", "0.1")
    page.click("#launch-button")
    page.wait_for_url(re.compile(r".*/runs/[0-9a-f]+$"), timeout=30_000)
    run_id = page.url.rsplit("/", 1)[1]
    config = httpx.get(f"{server.url}/api/runs/{run_id}", timeout=30).json()["config"]
    assert (config["model"], config["dataset"]) == ("residual-mlp", "two-moons")
    assert config["model_params"] == {"width": 24, "blocks": 2, "spectral_norm": True}
    assert config["dataset_params"] == {"noise": 0.1}
    page.wait_for_function(
        "document.getElementById('data-view').dataset.layers?.split(' ').includes('fake')",
        timeout=60_000,
    )
