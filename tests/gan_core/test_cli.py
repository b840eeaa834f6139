"""`ganwatch train`: the JSON summary on stdout and the events file (the README's contract)."""

import json
from pathlib import Path

import pytest

from app.cli import main
from gan_core.events import PROTOCOL_VERSION


def test_train_prints_a_summary_and_writes_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    events = tmp_path / "events.jsonl"
    code = main(
        [
            "train",
            "--preset",
            "ring-8",
            "--steps",
            "30",
            "--seed",
            "2",
            "--quiet",
            "--set",
            "g_hidden=32",
            "--set",
            "d_hidden=32",
            "--events",
            str(events),
            "--checkpoint",
            str(tmp_path / "ck.pt"),
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["steps"] == 30 and summary["status"] == "completed"
    assert summary["steps_per_second"] > 0 and summary["modes_total"] == 8
    assert 0 <= summary["high_quality"] <= 1 and 0 <= summary["modes_covered"] <= 8
    frames = [json.loads(line) for line in events.read_text().splitlines()]
    assert frames[0]["type"] == "status" and frames[0]["config"]["g_hidden"] == 32
    assert frames[-1] == {
        **frames[-1],
        "type": "status",
        "status": "completed",
        "v": PROTOCOL_VERSION,
    }
    assert {f["type"] for f in frames} >= {"metrics", "samples", "quality"}
    assert (tmp_path / "ck.pt").is_file()

    code = main(
        [
            "train",
            "--preset",
            "ring-8",
            "--steps",
            "40",
            "--quiet",
            "--set",
            "g_hidden=32",
            "--set",
            "d_hidden=32",
            "--resume",
            str(tmp_path / "ck.pt"),
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["steps"] == 40


def test_bad_values_are_reported_by_field(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--preset", "ring-8", "--set", "batch_size=0", "--quiet"]) == 2
    assert "invalid batch_size" in capsys.readouterr().err


def test_missing_mnist_files_say_where_to_put_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(
            [
                "train",
                "--preset",
                "mnist",
                "--set",
                f"data_dir={json.dumps(str(tmp_path))}",
                "--quiet",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    # where the files go, relative to the data folder: no resolved path in a message
    assert "MNIST/raw/" in err and "train-images-idx3-ubyte" in err and str(tmp_path) not in err
