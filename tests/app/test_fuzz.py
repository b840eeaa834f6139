"""schemathesis fuzzes a served app from its OpenAPI document: no 5xx, no undocumented answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.serverlib import running_server

TOKEN = "fuzz-token"
EXAMPLES = 50  # cases per operation, at least
CHECKS_SKIPPED = "positive_data_acceptance,ensure_resource_availability,allow_header_conformance"


@pytest.mark.timeout(420)
def test_schemathesis_finds_no_failure(tmp_path: Path) -> None:
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with running_server(
        tmp_path,
        token=TOKEN,
        max_steps="50",
        max_concurrent_runs="1",
        max_queued_runs="20",
        warm_worker="false",
    ) as server:
        result = subprocess.run(
            [
                str(schemathesis),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--exclude-checks",
                CHECKS_SKIPPED,
                "-H",
                f"Authorization: Bearer {TOKEN}",
                "--max-examples",
                str(EXAMPLES),
                "--phases",
                "examples,coverage,fuzzing",
                "--seed",
                "1",
                "--request-timeout",
                "30",
                "--max-time",
                "50",
                # one worker: CPython 3.11's ast is not thread-safe, and hypothesis parses
                # lambdas from the workers' threads ("AST constructor recursion depth mismatch")
                "--workers",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=400,
            cwd=tmp_path,
            env={**os.environ, "NO_COLOR": "1"},
        )
    report = result.stdout[-6000:] + result.stderr[-2000:]
    (tmp_path / "schemathesis.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, report
    assert " passed" in result.stdout and "failed" not in result.stdout.split("Test cases:")[-1], (
        report
    )
    assert "Unresolvable references" not in result.stdout, report
