"""The runtime fingerprint: cached, stable across processes, every part sourced, no secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cerkit.capture import _probes
from cerkit.capture import fingerprint as fp

STABLE = ("python", "os", "locale", "hardware", "gpus", "packages", "git")
PROGRAM = (
    "import json; from cerkit.capture.fingerprint import fingerprint; "
    "print(json.dumps(fingerprint()))"
)


def _fresh(cwd: Path, **env: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=cwd, env={**os.environ, **env},
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def test_two_captures_in_one_process_are_identical_and_cached() -> None:
    first, second = fp.fingerprint(), fp.fingerprint()
    assert first == second
    for part in STABLE:
        assert first[part] is second[part], part  # read once, not re-read


def test_a_fresh_process_gives_the_same_stable_parts(tmp_path: Path) -> None:
    # Outside the working tree: other people editing it would move the git part.
    one, two = _fresh(tmp_path), _fresh(tmp_path)
    assert one["digest"] == two["digest"]
    for part in (*STABLE, "numeric"):
        assert one[part] == two[part], part
    here = fp.fingerprint()
    for part in ("python", "os", "hardware", "packages"):
        assert here[part] == one[part], part


def test_git_commit_branch_dirty_flag_and_diff_digest(tmp_path: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q", "-b", "trunk")
    (tmp_path / "a.py").write_text("x = 1\n")
    git("add", "a.py")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "one")
    clean = _probes.read_git(str(tmp_path))
    assert clean["branch"] == "trunk" and len(clean["commit"]) == 40
    assert clean["dirty"] is False and clean["diffDigest"] is None
    (tmp_path / "a.py").write_text("x = 2\n")
    dirty = _probes.read_git(str(tmp_path))
    assert dirty["dirty"] is True and dirty["diffDigest"].startswith("sha256:")
    assert dirty["commit"] == clean["commit"]


def test_every_part_says_how_it_was_obtained() -> None:
    environment = fp.fingerprint()
    assert environment["schema"] == "cerkit.environment.v1"
    assert environment["digest"].startswith("sha256:")
    for name, part in environment.items():
        if name not in ("schema", "digest"):
            assert isinstance(part.get("source"), str) and part["source"], name
    assert environment["hardware"]["cores"] == os.cpu_count()
    assert environment["packages"]["installed"]["numpy"]
    assert environment["packages"]["count"] == len(environment["packages"]["installed"])
    imported = environment["imported"]["packages"]
    assert "cerkit" not in imported and imported["pytest"]  # the program's, never cerkit's
    assert {"python", "numpy"}.isdisjoint(environment["envVars"]["values"])


def test_outside_a_git_repository_git_is_a_comparable_fact(tmp_path: Path) -> None:
    part = _probes.read_git(str(tmp_path))
    assert part == {"source": f"git in {tmp_path}", "repository": False}


def test_a_failing_probe_makes_its_part_unknown() -> None:
    def broken() -> dict:
        raise OSError("no /proc here")

    part = fp._guarded("/proc/cpuinfo", broken)
    assert part == {"source": "/proc/cpuinfo", "unknown": "OSError: no /proc here"}


def test_environment_variables_are_reread_and_allowlisted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.setenv("UNRELATED_SETTING", "x")
    assert fp.fingerprint()["envVars"]["values"]["OMP_NUM_THREADS"] == "3"
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    values = fp.fingerprint()["envVars"]["values"]
    assert values["OMP_NUM_THREADS"] == "1"
    assert "UNRELATED_SETTING" not in values


def test_allowlisted_names_that_look_secret_are_never_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CERKIT_ENV_ALLOWLIST", "MYAPP_*")
    monkeypatch.setenv("MYAPP_MODE", "fast")
    monkeypatch.setenv("MYAPP_API_KEY", "plain-value-1234567890")
    monkeypatch.setenv("MYAPP_ENDPOINT", "ghp_" + "Ab1" * 12)
    part = fp.fingerprint()["envVars"]
    assert part["values"]["MYAPP_MODE"] == "fast"
    assert "MYAPP_API_KEY" not in part["values"] and "MYAPP_ENDPOINT" not in part["values"]
    assert set(part["redacted"]) == {"MYAPP_API_KEY", "MYAPP_ENDPOINT"}
    text = json.dumps(fp.fingerprint())
    assert "plain-value-1234567890" not in text and "ghp_" not in text


def test_torch_settings_are_volatile_and_change_the_digest() -> None:
    import torch

    before = fp.fingerprint()
    assert before["numeric"]["torch"]["deterministicAlgorithms"] is False
    torch.use_deterministic_algorithms(True)
    try:
        after = fp.fingerprint()
    finally:
        torch.use_deterministic_algorithms(False)
    assert after["numeric"]["torch"]["deterministicAlgorithms"] is True
    assert after["digest"] != before["digest"]
    assert fp.fingerprint()["digest"] == before["digest"]


def test_blas_libraries_come_from_threadpoolctl() -> None:
    import numpy  # noqa: F401  (loads the BLAS)

    blas = fp.fingerprint()["numeric"]["blas"]
    assert blas and all({"internalApi", "version", "threads", "filepath"} <= set(b) for b in blas)
    assert fp.fingerprint()["numeric"]["numpy"]["version"]
