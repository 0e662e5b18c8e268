"""Known nondeterminism on REAL records: an unseeded random function recorded into a store,
replayed with ``cerkit replay``, then gated with ``cerkit drift``.

The replays carry ``meta.replay`` and never count as new executions, from the store (its
index) or from exported files; their disagreement labels the key ``NONDETERMINISTIC``, which
``--fail-on unexplained`` lets pass and ``--fail-on nondeterministic`` fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from cerkit.ledger.sqlite import SQLiteRecordStore

CERKIT = str(Path(sys.executable).parent / "cerkit")
APP = """
import random
from cerkit.capture.recorder import record

@record
def sample(n):
    return [random.random() for _ in range(n)]

@record
def draw(n):
    return round(random.random(), n)
"""


def _env(store: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CERKIT")}
    return {**keep, "CERKIT_STORE": str(store), "TZ": "UTC"}


def _run(folder: Path, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*args], cwd=folder, env=_env(store), capture_output=True, text=True, timeout=240,
        check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Two recorded calls of ``sample`` and one of ``draw`` in a store, then 3 replays of
    the first ``sample`` call into the same store."""
    folder = tmp_path_factory.mktemp("nondeterminism")
    store = folder / "ledger.db"
    (folder / "app.py").write_text(textwrap.dedent(APP))
    call = "import app; app.sample(3); app.sample(3); app.draw(6)"
    done = _run(folder, store, sys.executable, "-c", call)
    assert done.returncode == 0, done.stderr
    reader = SQLiteRecordStore(store)
    first = next(
        b for b in reader.query() if b["snapshot"]["execution"]["entryPoint"].endswith("sample")
    )
    reader.close()
    replay = _run(folder, store, CERKIT, "replay", first["certificateHash"], "-n", "3", "--json")
    assert replay.returncode == 0, replay.stderr
    return {"folder": folder, "store": store, "replay": json.loads(replay.stdout)}


def _drift(replayed: dict[str, Any], *args: str) -> tuple[int, dict[str, Any], str]:
    done = _run(replayed["folder"], replayed["store"], CERKIT, "drift", *args, "--json")
    return done.returncode, json.loads(done.stdout or "{}"), done.stderr


def test_replay_labels_the_function_and_marks_its_records_as_replays(
    replayed: dict[str, Any],
) -> None:
    assert replayed["replay"]["label"] == "nondeterministic"
    store = SQLiteRecordStore(replayed["store"])
    records = list(store.query())
    store.close()
    marks = [r["meta"]["replay"] for r in records if "replay" in r.get("meta", {})]
    assert len(marks) == 3 and len(records) == 6
    assert {m["of"] for m in marks} == {replayed["replay"]["record"]}
    assert {m["purpose"] for m in marks} == {"replay"}


def test_replays_are_not_new_executions_and_the_key_is_nondeterministic(
    replayed: dict[str, Any],
) -> None:
    code, report, stderr = _drift(
        replayed, "--store", str(replayed["store"]), "--fail-on", "unexplained"
    )
    assert code == 0, stderr
    assert report["records"] == 3  # two sample calls and one draw call: no replay
    assert report["verdicts"] == {"NONDETERMINISTIC": 1}
    point = next(g for g in report["timeline"] if g["changePoints"])["changePoints"][0]
    assert "distinct outputs in the replays of" in point["summary"]
    code, _, stderr = _drift(
        replayed, "--store", str(replayed["store"]), "--fail-on", "nondeterministic"
    )
    assert code == 1
    assert "drift gate failed (--fail-on nondeterministic): NONDETERMINISTIC" in stderr


def test_exported_files_leave_the_replays_out_too(replayed: dict[str, Any]) -> None:
    export = replayed["folder"] / "all.jsonl"
    done = _run(
        replayed["folder"], replayed["store"], CERKIT, "records", "export", "-o", str(export)
    )
    assert done.returncode == 0, done.stderr
    assert len(export.read_text().splitlines()) == 6
    junit = replayed["folder"] / "drift.xml"
    code, report, stderr = _drift(
        replayed, str(export), "--fail-on", "nondeterministic", "--junit", str(junit)
    )
    assert code == 1, stderr
    assert report["records"] == 3 and report["verdicts"] == {"NONDETERMINISTIC": 1}
    failures = ElementTree.parse(junit).getroot().findall("testsuite/testcase/failure")
    assert [f.get("type") for f in failures] == ["NONDETERMINISTIC"]


def test_a_key_declared_nondeterministic_in_the_configuration(tmp_path: Path) -> None:
    store = tmp_path / "ledger.db"
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    call = "import app; app.draw(6); app.draw(6); app.draw(6)"
    assert _run(tmp_path, store, sys.executable, "-c", call).returncode == 0
    here = {"folder": tmp_path, "store": store}
    gate = ("--store", str(store), "--fail-on", "unexplained")
    code, report, _ = _drift(here, *gate)
    assert (code, report["verdicts"]) == (1, {"DRIFT_UNEXPLAINED": 2})
    (tmp_path / "cerkit.toml").write_text('[drift]\nnondeterministic = ["app:draw"]\n')
    code, report, stderr = _drift(here, *gate)
    assert (code, report["verdicts"]) == (0, {"NONDETERMINISTIC": 2}), stderr
    point = report["timeline"][0]["changePoints"][0]
    assert "declared nondeterministic in the configuration" in point["summary"]
    assert _drift(here, "--store", str(store), "--fail-on", "nondeterministic")[0] == 1
