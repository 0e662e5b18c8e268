"""A newcomer's first hour: each friction point tried as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def cerkit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("CERKIT_STORE", None)
    env.pop("CERKIT_KEY_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "cerkit", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("argv", [["records", "list"], ["drift"], ["records", "export"]])
def test_read_only_verbs_do_not_create_the_store(tmp_path: Path, argv: list[str]) -> None:
    done = cerkit(tmp_path, *argv)
    assert done.returncode == 3, done.stderr
    assert "no record store at" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / ".cerkit").exists()


def test_keys_generate_takes_dir_after_the_action(tmp_path: Path) -> None:
    done = cerkit(tmp_path, "keys", "generate", "--dir", "d", "--json")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "d").is_dir()
    listed = cerkit(tmp_path, "keys", "list", "--dir", "d", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout.splitlines()[0])["status"] == "active"
    assert not (tmp_path / ".cerkit").exists()


def test_records_export_takes_json(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    script = "import cerkit\n@cerkit.record(store=%r)\ndef f(x):\n    return x + 1\nf(1)\n"
    env = {**os.environ, "PYTHONPATH": SRC}
    code = script % str(store)
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True, timeout=60)
    done = cerkit(tmp_path, "records", "export", "--json", "--store", str(store))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["certificateHash"].startswith("sha256:")


def test_fingerprint_counts_read_in_the_right_number(tmp_path: Path) -> None:
    done = cerkit(tmp_path, "fingerprint")
    assert done.returncode == 0, done.stderr
    assert "1 entries" not in done.stdout
    assert " entries" in done.stdout or " entry" in done.stdout


def test_counted_nouns() -> None:
    from cerkit._text import counted

    assert counted(1, "entry") == "1 entry"
    assert counted(2, "entry") == "2 entries"
    assert counted(1, "record") == "1 record"
    assert counted(0, "record") == "0 records"
    assert counted(2, "execution key") == "2 execution keys"
