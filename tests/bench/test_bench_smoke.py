"""Every bench script runs end to end on tiny sizes, so the scripts do not rot.

These check that the scripts work and print their figures, not the figures.
"""

import importlib

import pytest

from bench.__main__ import MODULES


@pytest.mark.parametrize("name", MODULES)
def test_bench_script_runs_on_tiny_sizes(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    module = importlib.import_module(f"bench.{name}")
    module.main(module.SMOKE)
    out = capsys.readouterr().out
    assert out.startswith(f"bench {name}:")
    assert "ratio" in out or "ganwatch (mean of" in out
