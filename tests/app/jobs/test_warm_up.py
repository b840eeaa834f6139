"""A warm worker pre-pays every import a run needs, so a launch does not."""

import json
import subprocess
import sys

PROBE = """
import json, sys
from app.jobs import runner
from gan_core.presets import preset_config
from gan_core.trainer import Trainer
runner.warm_up(1, cuda=False)
before = set(sys.modules)
events = Trainer(preset_config("ring-8", {"steps": 20, "device": "cpu"})).events()
for _ in range(4):
    next(events)
print(json.dumps(sorted(set(sys.modules) - before)))
"""


def test_a_run_after_warm_up_imports_nothing_heavy() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True, timeout=120
    ).stdout
    imported = json.loads(out.strip().splitlines()[-1])
    assert [name for name in imported if name.startswith("torch")] == []
