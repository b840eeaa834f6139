"""The server process stays lean: torch lives in the workers only, ray loads only when chosen."""

import subprocess
import sys


def test_the_server_and_its_command_line_import_neither_torch_nor_ray() -> None:
    probe = (
        "import sys, app.main, app.cli, gan_core.cli; gan_core.cli.build_parser(); "
        "print('torch' in sys.modules, 'ray' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    assert out.strip() == "False False"


def test_listing_plugins_imports_no_torch() -> None:
    probe = (
        "import sys; from gan_core import plugins; "
        "models, sets = plugins.model_plugins(), plugins.dataset_entries(); "
        "print(sorted(models), [s['name'] for s in sets], 'torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, timeout=120
    ).stdout  # the example plugin is on PYTHONPATH for the session (tests/conftest.py)
    assert out.strip() == "['residual-mlp'] ['two-moons'] False"
