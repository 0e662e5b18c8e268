"""Scenarios for capture exactness, on REAL records from subprocesses: a helper module edit
with and without git, arguments in every calling style, interpreter flags, runs outside any
repository, an editable install's version bump. ``cerkit diff`` must name the true cause."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from test_scenarios import HEADER, RUNNER, _env, diff
from test_scenarios import record as _record

#: This checkout's cerkit, in every subprocess (the shared venv's editable install may point
#: at another checkout).
SRC = str(Path(__file__).resolve().parents[2] / "src")


#: No bytecode cache: a helper rewritten within the same second at the same size would run
#: from its stale .pyc (CPython checks mtime in seconds and size), not from its new source.
NO_PYC = {"PYTHONPATH": SRC, "PYTHONDONTWRITEBYTECODE": "1"}


def record(folder: Path, name: str, source: str, function: str, args: list[Any]) -> Path:
    return _record(folder, name, source, function, args, **NO_PYC)


def env() -> dict[str, str]:
    return _env(**NO_PYC)


HELPER_APP = """
from helpers import factor

@record
def scaled(x):
    return x * factor()
"""


def _write(folder: Path, **files: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in files.items():
        (folder / name).write_text(textwrap.dedent(source))


def _helper(value: int) -> str:
    return f"def factor():\n    return {value}\n"


def _record_again(folder: Path, name: str, function: str, args: list[Any]) -> Path:
    """Run the ``app.py`` already in ``folder`` once more (``record`` rewrites it)."""
    out = folder.parent / f"{name}.json"
    call = json.dumps({"function": function, "args": args})
    done = subprocess.run(
        [sys.executable, "run.py", str(out), call], cwd=folder, env=env(),
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return out


def _top(result: dict[str, Any]) -> tuple[str, str]:
    top = result["causes"][0]
    return top["category"], top["subject"]


def test_a_helper_module_edit_outside_git_is_a_code_change_naming_the_file(
    tmp_path: Path,
) -> None:
    app = tmp_path / "app"
    _write(app, **{"helpers.py": _helper(2)})
    a = record(app, "a", HELPER_APP, "scaled", [21])
    _write(app, **{"helpers.py": _helper(3)})
    b = _record_again(app, "b", "scaled", [21])
    result = diff(a, b)
    assert result["verdict"] == "DRIFT_EXPLAINED", result["summary"]
    assert _top(result) == ("code", "helpers.py")
    assert "helpers.py changed" in result["causes"][0]["evidence"][0]
    assert not [c for c in result["unknown"] if c["facet"] == "code"]  # no git: still a fact


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip


def test_a_helper_edit_in_git_names_the_file_with_its_uncommitted_diff(tmp_path: Path) -> None:
    app = tmp_path / "app"
    _write(app, **{"helpers.py": _helper(2), "app.py": HEADER + textwrap.dedent(HELPER_APP)})
    _write(app, **{"run.py": RUNNER, "notes.txt": "one\n"})
    _git(app, "init", "-q")
    _git(app, "add", ".")
    _git(app, "commit", "-q", "-m", "one")
    a = _record_again(app, "a", "scaled", [21])
    _write(app, **{"helpers.py": _helper(3), "notes.txt": "two\n"})  # and a decoy edit
    b = _record_again(app, "b", "scaled", [21])
    result = diff(a, b)
    assert result["verdict"] == "DRIFT_EXPLAINED"
    assert _top(result) == ("code", "helpers.py")
    evidence = " ".join(result["causes"][0]["evidence"])
    assert "source file helpers.py changed" in evidence
    assert "uncommitted diff of helpers.py" in evidence
    decoy = next(c for c in result["causes"] if c["subject"] == "notes.txt")
    assert decoy["score"] < result["causes"][0]["score"]


ARGUMENTS_APP = """
@record
def score(x, threshold=0.5, *extra, scale=1, **options):
    return [x > threshold, len(extra), scale, sorted(options)]
"""


def test_a_positional_argument_change_is_an_expected_change_not_a_shifted_default(
    tmp_path: Path,
) -> None:
    a = record(tmp_path / "app", "a", ARGUMENTS_APP, "score", [0.6, 0.5])
    b = record(tmp_path / "app", "b", ARGUMENTS_APP, "score", [0.6, 0.7])
    result = diff(a, b)
    assert result["verdict"] == "EXPECTED_CHANGE", result["summary"]
    evidence = [e for cause in result["causes"] for e in cause["evidence"]]
    assert not [e for e in evidence if "default changed" in e], evidence
    parameters = json.loads(b.read_text())["snapshot"]["parameters"]
    assert parameters["x"] == 0.6 and parameters["threshold"] == 0.7


def test_var_positional_and_var_keyword_arguments_are_passed_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "app"
    _write(folder, **{"app.py": HEADER + textwrap.dedent(ARGUMENTS_APP)})
    probe = (
        "import json, app; app.score(0.6, 0.5, 7, 8, scale=2, mode='fast'); "
        "s = app.score.last_record['snapshot']; "
        "print(json.dumps([s['parameters'], s['effectiveParameters']]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=folder, env=env(), capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    passed, effective = json.loads(done.stdout)
    assert (passed["x"], passed["threshold"]) == (0.6, 0.5)
    assert passed["extra"] == {"$type": "tuple", "items": [7, 8]}
    assert (passed["scale"], passed["mode"]) == (2, "fast")
    assert "options" not in passed and "options" not in effective
    assert effective == {"x": 0.6, "threshold": 0.5, "extra": passed["extra"], "scale": 2,
                         "mode": "fast"}  # fmt: skip


FLAG_APP = """
@record
def checked(x):
    try:
        assert x > 0, "negative"
    except AssertionError:
        return "rejected"
    return "accepted"
"""


def test_python_dash_o_is_an_interpreter_flag_change(tmp_path: Path) -> None:
    a = record(tmp_path / "app", "a", FLAG_APP, "checked", [-1])
    folder = tmp_path / "app"
    out = tmp_path / "b.json"
    call = json.dumps({"function": "checked", "args": [-1]})
    done = subprocess.run(
        [sys.executable, "-O", "run.py", str(out), call], cwd=folder, env=env(),
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = diff(a, out)
    assert result["verdict"] == "DRIFT_EXPLAINED"
    assert _top(result) == ("runtime", "python.flags.optimize")


def test_two_runs_outside_any_git_repository_are_equal_on_git(tmp_path: Path) -> None:
    source = """
    @record
    def double(x):
        return 2 * x
    """
    a = record(tmp_path / "app", "a", source, "double", [4])
    b = record(tmp_path / "app", "b", source, "double", [4])
    assert json.loads(a.read_text())["snapshot"]["environment"]["git"]["repository"] is False
    result = diff(a, b)
    assert result["verdict"] == "IDENTICAL", result["unknown"]
    assert result["unknown"] == []
