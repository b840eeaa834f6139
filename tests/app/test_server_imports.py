"""The server process stays lean: torch lives in the workers only."""

import subprocess
import sys


def test_the_server_app_does_not_import_torch() -> None:
    probe = "import sys, app.main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True, timeout=120).stdout
    assert out.strip() == "False"
