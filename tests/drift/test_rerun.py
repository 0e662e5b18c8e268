"""The replay edge runs a recorded call in a fresh interpreter with the environment and the
``sys.path`` overlay it is given, and hands back the new record."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from cerkit.capture.recorder import record
from cerkit.drift.rerun import run_fresh
from cerkit.errors import OperationalError

_SOURCE = """
import os


def flagged(x):
    return {"flag": os.environ.get("CERKIT_TEST_FLAG"), "version": VERSION, "x": x}
"""


def _recorded(folder: Path, version: str, name: str) -> dict[str, Any]:
    """A record of ``name.flagged(1)``, made in this process from a module in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(f"VERSION = {version!r}\n{_SOURCE}", encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        module = importlib.import_module(name)
        recorded = record(module.flagged, store=False)
        recorded(1)
        return recorded.last_record
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop(name, None)


def test_a_fresh_run_sees_the_given_environment_and_the_overlay_first(tmp_path: Path) -> None:
    original = _recorded(tmp_path / "v1", "1", "rerun_overlay_module")
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "rerun_overlay_module.py").write_text(
        f"VERSION = '2'\n{_SOURCE}", encoding="utf-8"
    )
    env = {**os.environ, "CERKIT_TEST_FLAG": "on"}
    run = run_fresh(
        original, env=env, path_overlay=[str(tmp_path / "v2"), str(tmp_path / "v1")],
        cwd=str(tmp_path), store=False, timeout=120,
    )  # fmt: skip
    new = run.require("the fresh run")
    assert run.returncode == 0
    assert new["snapshot"]["output"] == {"flag": "on", "version": "2", "x": 1}
    assert new["snapshot"]["execution"]["entryPoint"] == "rerun_overlay_module:flagged"
    assert new["certificateHash"] != original["certificateHash"]


def test_a_fresh_run_that_cannot_import_the_entry_point_says_why(tmp_path: Path) -> None:
    original = _recorded(tmp_path / "gone", "1", "rerun_missing_module")
    run = run_fresh(original, cwd=str(tmp_path), store=False, timeout=120)
    assert run.record is None and run.returncode == 3
    with pytest.raises(
        OperationalError, match=r"run 1 failed: .*cannot import rerun_missing_module"
    ):
        run.require("run 1")


def test_a_fresh_run_past_its_timeout_is_killed_and_leaves_no_record(tmp_path: Path) -> None:
    original = _recorded(tmp_path / "slow", "1", "rerun_slow_module")
    slow = "import time\ntime.sleep(30)\n"
    (tmp_path / "slow" / "rerun_slow_module.py").write_text(slow + _SOURCE, encoding="utf-8")
    run = run_fresh(original, path_overlay=[str(tmp_path / "slow")], store=False, timeout=1)
    assert run.record is None and run.returncode is None
    assert run.failure == "timed out after 1 s"
