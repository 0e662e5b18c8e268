"""Replay refuses what it cannot re-execute, with a reason code and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from drift_records import make

CERKIT = str(Path(sys.executable).parent / "cerkit")


def _replay(tmp_path: Path, bundle: object) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(bundle))
    return subprocess.run(
        [CERKIT, "replay", str(path), "-n", "2", "--store", str(tmp_path / "s.db")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_replay_of_an_entry_point_that_cannot_be_imported_is_operational(tmp_path: Path) -> None:
    done = _replay(tmp_path, make({"execution.entryPoint": "no_such_module:f"}))
    assert done.returncode == 3
    assert "cannot import no_such_module:f" in done.stderr
    assert "Traceback" not in done.stderr


def test_replay_of_a_command_record_is_refused(tmp_path: Path) -> None:
    done = _replay(tmp_path, make({"execution.kind": "command"}))
    assert done.returncode == 1
    assert "SCHEMA_ERROR" in done.stderr


def test_replay_needs_at_least_one_run(tmp_path: Path) -> None:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(make()))
    done = subprocess.run([CERKIT, "replay", str(path), "-n", "0"], capture_output=True, text=True)
    assert done.returncode == 2
