"""One scenario per cause, on REAL records: small programs run in subprocesses under
cerkit's recorder; ``cerkit diff`` must rank the true cause first.

Each program lives in its own temporary folder as ``app.py`` (the recorded function) and
``run.py`` (calls it once and writes ``last_record`` to a file). Only the one factor of the
scenario differs between the two runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

CERKIT = str(Path(sys.executable).parent / "cerkit")
RUNNER = """
import json, sys
from cerkit.capture.recorder import configure
configure(store=False)
import app
call = json.loads(sys.argv[2])
function = getattr(app, call["function"])
function(*call["args"])
with open(sys.argv[1], "w") as handle:
    json.dump(function.last_record, handle)
"""
HEADER = "from cerkit.capture.recorder import record\n"


def _env(**extra: str) -> dict[str, str]:
    # PYTHONPATH stays: the cerkit under test is the one the test run imports.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "OMP_", "CERKIT")) or k == "PYTHONPATH"
    }
    env.update({"PYTHONHASHSEED": "0", "TZ": "UTC"}, **extra)
    return env


def record(
    folder: Path, name: str, source: str, function: str, args: list[Any], **env: str
) -> Path:
    """Run ``source`` as ``app.py`` in ``folder``, calling ``function(*args)`` once."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(HEADER + textwrap.dedent(source))
    (folder / "run.py").write_text(RUNNER)
    out = folder.parent / f"{name}.json"
    call = json.dumps({"function": function, "args": args})
    done = subprocess.run(
        [sys.executable, "run.py", str(out), call],
        cwd=folder, env=_env(**env), capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.exists(), done.stderr
    return out


def diff(a: Path, b: Path) -> dict[str, Any]:
    done = subprocess.run(
        [CERKIT, "diff", str(a), str(b), "--json"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def tiny_package(root: Path, version: str, scale: float) -> Path:
    """A package ``tinypkg`` with installed metadata, as ``pip install --target`` leaves it."""
    (root / "tinypkg").mkdir(parents=True)
    (root / "tinypkg" / "__init__.py").write_text(f"SCALE = {scale}\n")
    info = root / f"tinypkg-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: tinypkg\nVersion: {version}\n")
    (info / "top_level.txt").write_text("tinypkg\n")
    (info / "RECORD").write_text("tinypkg/__init__.py,,\n")
    return root


def test_imported_dependency_version_change_is_ranked_first(tmp_path: Path) -> None:
    source = """
    import tinypkg

    @record
    def predict(x):
        return round(x * tinypkg.SCALE, 6)
    """
    old = tiny_package(tmp_path / "v1", "1.0", 1.0)
    new = tiny_package(tmp_path / "v2", "2.0", 1.5)
    a = record(tmp_path / "app", "a", source, "predict", [2.0], PYTHONPATH=str(old))
    b = record(tmp_path / "app", "b", source, "predict", [2.0], PYTHONPATH=str(new))
    result = diff(a, b)
    assert result["verdict"] == "DRIFT_EXPLAINED"
    top = result["causes"][0]
    assert (top["category"], top["subject"]) == ("dependency", "tinypkg")
    assert "imported" in top["evidence"][0]


def test_shifted_parameter_default_is_ranked_first(tmp_path: Path) -> None:
    template = """
    @record
    def score(x, threshold={}):
        return x > threshold
    """
    a = record(tmp_path / "v1", "a", template.format(0.5), "score", [0.6])
    b = record(tmp_path / "v2", "b", template.format(0.7), "score", [0.6])
    result = diff(a, b)
    assert result["verdict"] == "DRIFT_EXPLAINED"
    top = result["causes"][0]
    assert (top["category"], top["subject"]) == ("parameter-default", "threshold")
    assert "default changed" in top["evidence"][0]


def test_model_retrained_with_another_seed_is_ranked_first(tmp_path: Path) -> None:
    source = """
    import os
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier

    X = np.random.RandomState(0).rand(80, 4)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    MODEL = RandomForestClassifier(n_estimators=8, random_state=int(os.environ["TRAIN_SEED"]))
    MODEL.fit(X, y)

    @record(model=MODEL)
    def predict(row):
        return [round(p, 6) for p in MODEL.predict_proba([row])[0].tolist()]
    """
    row = [0.5, 0.52, 0.3, 0.9]
    a = record(tmp_path / "app", "a", source, "predict", [row], TRAIN_SEED="1")
    b = record(tmp_path / "app", "b", source, "predict", [row], TRAIN_SEED="2")
    result = diff(a, b)
    assert result["verdict"] == "DRIFT_EXPLAINED"
    top = result["causes"][0]
    assert top["category"] == "model"
    assert "weights" in top["evidence"][0]


def test_allowlisted_environment_variable_read_by_the_code_is_ranked_first(
    tmp_path: Path,
) -> None:
    source = """
    WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu".split()

    @record
    def pick(n):
        return list(set(WORDS))[:n]  # set order follows the string hash seed
    """
    a = record(tmp_path / "app", "a", source, "pick", [6], PYTHONHASHSEED="1")
    b = record(tmp_path / "app", "b", source, "pick", [6], PYTHONHASHSEED="2")
    result = diff(a, b)
    assert result["verdict"] == "DRIFT_EXPLAINED"
    top = result["causes"][0]
    assert (top["category"], top["subject"]) == ("environment", "PYTHONHASHSEED")


def test_changed_entry_point_code_is_ranked_first(tmp_path: Path) -> None:
    template = """
    @record
    def bump(x):
        return x + {}
    """
    a = record(tmp_path / "v1", "a", template.format(1), "bump", [41])
    b = record(tmp_path / "v2", "b", template.format(2), "bump", [41])
    result = diff(a, b)
    assert result["verdict"] == "DRIFT_EXPLAINED"
    top = result["causes"][0]
    assert (top["category"], top["subject"]) == ("code", "app:bump")
    assert "source code" in top["evidence"][0]


UNSEEDED = """
import random

@record
def sample(n):
    return [random.random() for _ in range(n)]
"""


def test_unseeded_randomness_is_unexplained_and_replay_says_nondeterministic(
    tmp_path: Path,
) -> None:
    a = record(tmp_path / "app", "a", UNSEEDED, "sample", [3])
    b = record(tmp_path / "app", "b", UNSEEDED, "sample", [3])
    result = diff(a, b)
    assert result["verdict"] == "DRIFT_UNEXPLAINED", result["causes"]
    assert result["causes"] == []
    assert any("no random seeds" in note for note in result["notes"])
    replayed = replay(tmp_path / "app", a, 5)
    assert replayed["label"] == "nondeterministic"
    assert replayed["distinctOutputs"] == 5
    assert replayed["runs"] == 5
    # the replays were stored: diff them by hash prefix and gate on drift over the store
    assert replayed["stored"] is True
    store = str(tmp_path / "replay-store.db")
    first, second = (h.removeprefix("sha256:")[:16] for h in replayed["newRecords"][:2])
    by_hash = subprocess.run(
        [CERKIT, "diff", first, second, "--store", store, "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert json.loads(by_hash.stdout)["verdict"] == "DRIFT_UNEXPLAINED", by_hash.stderr
    # replays are not new executions: a store of replays alone leaves nothing to compare
    gate = subprocess.run(
        [CERKIT, "drift", "--store", store, "--fail-on", "unexplained", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert gate.returncode == 4, gate.stderr
    assert "(only 5 replays, which are not new executions)" in gate.stderr


def replay(folder: Path, original: Path, runs: int) -> dict[str, Any]:
    store = folder.parent / "replay-store.db"
    done = subprocess.run(
        [CERKIT, "replay", str(original), "-n", str(runs), "--json"],
        cwd=folder, env=_env(CERKIT_STORE=str(store)), capture_output=True, text=True,
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_change_that_does_not_move_the_output_is_stable_despite_changes(tmp_path: Path) -> None:
    source = """
    @record
    def double(x):
        return 2 * x
    """
    a = record(tmp_path / "app", "a", source, "double", [21], OMP_NUM_THREADS="1")
    b = record(tmp_path / "app", "b", source, "double", [21], OMP_NUM_THREADS="2")
    result = diff(a, b)
    assert result["verdict"] == "STABLE_DESPITE_CHANGES"
    top = result["causes"][0]
    assert (top["category"], top["subject"]) == ("environment", "OMP_NUM_THREADS")
    replayed = replay(tmp_path / "app", a, 3)
    assert replayed["label"] == "deterministic"
    assert replayed["distinctOutputs"] == 1


@pytest.mark.parametrize("gate, code", [("unexplained", 1), ("any", 1)])
def test_drift_over_real_records_gates_on_unseeded_randomness(
    tmp_path: Path, gate: str, code: int
) -> None:
    ledger = tmp_path / "ledger.jsonl"
    lines = []
    for index in range(3):
        path = record(tmp_path / "app", f"r{index}", UNSEEDED, "sample", [2])
        lines.append(path.read_text().strip())
    ledger.write_text("\n".join(lines) + "\n")
    done = subprocess.run(
        [CERKIT, "drift", str(ledger), "--fail-on", gate, "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    summary = json.loads(done.stdout)
    assert summary["groups"] == 1
    assert summary["verdicts"] == {"DRIFT_UNEXPLAINED": 2}
