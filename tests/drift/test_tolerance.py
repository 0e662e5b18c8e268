"""Tolerances: numbers within rtol/atol, arrays element-wise, text modes, hash-only records,
and the configuration's precedence through ``cerkit drift``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from drift_records import base_args, make

from cerkit.config import DriftConfig, Tolerance
from cerkit.disclosure.privacy import Privacy, prepare, seal_private
from cerkit.drift.attribution import Verdict, explain
from cerkit.drift.policy import judge
from cerkit.drift.tolerance import ABSENT, HASH_ONLY, compare, normalize


def _tol(rtol: float = 0.0, atol: float = 0.0, text: str = "exact") -> Tolerance:
    return Tolerance("*", rtol, atol, text)


def test_a_float_that_moves_at_the_twelfth_digit_is_within_a_relative_tolerance() -> None:
    found = compare(0.123456789012, 0.123456789013, _tol(rtol=1e-9))
    assert found.within
    assert "largest |difference| 1e-12 at output" in found.reason


def test_a_float_beyond_the_tolerance_is_not_within_and_says_by_how_much() -> None:
    found = compare(0.75, 0.8, _tol(rtol=1e-9, atol=1e-3))
    assert not found.within
    assert found.reason.startswith("output: 0.75 -> 0.8, |difference| 0.05 > 0.001")


def test_arrays_and_nested_lists_compare_element_wise() -> None:
    before = {"scores": [[1.0, 2.0], [3.0, 4.0]], "label": "cat"}
    close = {"scores": [[1.0, 2.0 + 1e-10], [3.0, 4.0]], "label": "cat"}
    far = {"scores": [[1.0, 2.0], [3.0, 4.5]], "label": "cat"}
    assert compare(before, close, _tol(atol=1e-9)).within
    found = compare(before, far, _tol(atol=1e-9))
    assert not found.within and found.reason.startswith("output.scores[1][1]: 4.0 -> 4.5")
    assert not compare([1.0, 2.0], [1.0], _tol(atol=1)).within  # the shape changed


def _ndarray(data: list[Any], digest: str) -> dict[str, Any]:
    return {"$type": "numpy.ndarray", "dtype": "float64", "shape": [len(data)], "digest": digest,
            "data": data}  # fmt: skip


def test_recorded_arrays_compare_by_their_data_and_never_by_digest_alone() -> None:
    a, b = _ndarray([0.5, 0.25], "sha256:aa"), _ndarray([0.5, 0.25 + 1e-13], "sha256:bb")
    assert compare(a, b, _tol(atol=1e-12)).within
    del a["data"], b["data"]
    found = compare(a, b, _tol(atol=1))
    assert not found.within and "recorded by digest only" in found.reason
    wider = {**_ndarray([0.5, 0.25], "sha256:aa"), "dtype": "float32"}
    assert not compare(_ndarray([0.5, 0.25], "sha256:aa"), wider, _tol(atol=1)).within


@pytest.mark.parametrize(
    ("mode", "before", "after", "within"),
    [
        ("exact", "Paris", "Paris ", False),
        ("strip", "Paris", " Paris\n", True),
        ("strip", "New York", "New  York", False),
        ("whitespace", "New York", " New \n York ", True),
        ("whitespace", "Paris", "paris", False),
        ("casefold", "Straße  Paris", "STRASSE paris", True),
    ],
)
def test_text_is_compared_after_its_normalization(
    mode: str, before: str, after: str, within: bool
) -> None:
    assert compare(before, after, _tol(text=mode)).within is within
    assert normalize(" A  b ", mode) in (" A  b ", "A  b", "A b", "a b")


def test_booleans_are_not_numbers_and_a_hash_only_output_is_never_within() -> None:
    assert not compare(True, 1, _tol(atol=1)).within
    assert compare(ABSENT, 1.0, _tol(atol=1)).reason == HASH_ONLY


def _float_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    return make({"output": 0.123456789012}), make(
        {"output": 0.123456789013}, at="2026-01-02T00:00:00.000Z"
    )


def test_an_unexplained_float_jitter_within_tolerance_gets_its_own_verdict() -> None:
    a, b = _float_pair()
    explanation = explain(a, b)
    assert explanation.verdict is Verdict.DRIFT_UNEXPLAINED
    config = DriftConfig(tolerances=(Tolerance("app.score:predict", rtol=1e-9),))
    judged = judge(explanation, config)
    assert judged.verdict is Verdict.WITHIN_TOLERANCE
    assert judged.summary.startswith("output changed within tolerance: largest |difference|")
    # the exact difference is still in the diff
    outputs = {c.path: (c.before, c.after) for c in judged.diff.in_facet("outputs")}
    assert outputs["snapshot.output"] == (0.123456789012, 0.123456789013)
    assert judge(explanation, DriftConfig(rtol=1e-15)).verdict is Verdict.DRIFT_UNEXPLAINED


def _hash_only(output: float, day: int) -> dict[str, Any]:
    """A record sealed as ``Privacy(content="hash")`` seals it: the hash, not the value."""
    args = base_args()
    args["output"] = output
    at = f"2026-01-{day:02d}T00:00:00.000Z"
    args["timestamp"] = at
    privacy = Privacy(content="hash")
    return seal_private(prepare(args, privacy, None), at, privacy)


def test_a_hash_only_record_cannot_be_within_tolerance_and_the_note_says_so() -> None:
    a, b = (_hash_only(0.123456789012, day=1), _hash_only(0.123456789013, day=2))
    assert "output" not in a["snapshot"]
    judged = judge(explain(a, b), DriftConfig(rtol=0.5))
    assert judged.verdict is not Verdict.WITHIN_TOLERANCE
    assert any(HASH_ONLY in note for note in judged.notes)


# Through the CLI: config file, variables and flags, in that order of precedence.


def _cerkit(cwd: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    command = [str(Path(sys.executable).parent / "cerkit"), *args]
    environ = {**os.environ, **(env or {})}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=cwd, env=environ, check=False
    )


def _project(tmp_path: Path, drift_table: str) -> Path:
    (tmp_path / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n{drift_table}\n")
    a, b = _float_pair()
    (tmp_path / "ledger.jsonl").write_text(json.dumps(a) + "\n" + json.dumps(b) + "\n")
    return tmp_path


def _verdicts(result: Any) -> dict[str, int]:
    assert result.returncode in (0, 1), result.stderr
    counts: dict[str, int] = json.loads(result.stdout)["verdicts"]
    return counts


def test_the_project_tolerance_applies_and_flags_and_variables_take_precedence(
    tmp_path: Path,
) -> None:
    project = _project(tmp_path, "[tool.cerkit.drift]\nrtol = 1e-9\n")
    gate = ("drift", "ledger.jsonl", "--json", "--fail-on", "unexplained")
    result = _cerkit(project, *gate)
    assert _verdicts(result) == {"WITHIN_TOLERANCE": 1} and result.returncode == 0
    flagged = _cerkit(project, *gate, "--rtol", "0")
    assert _verdicts(flagged) == {"DRIFT_UNEXPLAINED": 1} and flagged.returncode == 1
    tight = _cerkit(project, *gate, env={"CERKIT_DRIFT_RTOL": "1e-15"})
    assert _verdicts(tight) == {"DRIFT_UNEXPLAINED": 1}
    assert _verdicts(_cerkit(project, *gate, "--atol", "1e-6", "--rtol", "0")) == {
        "WITHIN_TOLERANCE": 1
    }


def test_a_tolerance_entry_for_the_entry_point_beats_the_section_default(tmp_path: Path) -> None:
    table = (
        "[tool.cerkit.drift]\nrtol = 1e-15\n\n"
        "[[tool.cerkit.drift.tolerance]]\nmatch = 'app.score:predict'\natol = 1e-9\n"
    )
    project = _project(tmp_path, table)
    result = _cerkit(project, "drift", "ledger.jsonl", "--json")
    assert _verdicts(result) == {"WITHIN_TOLERANCE": 1}
    other = table.replace("app.score:predict", "app.other:f")
    (project / "pyproject.toml").write_text(f"[project]\nname = 'x'\n\n{other}\n")
    assert _verdicts(_cerkit(project, "drift", "ledger.jsonl", "--json")) == {
        "DRIFT_UNEXPLAINED": 1
    }


def test_text_mode_flag_and_a_bad_configuration_file(tmp_path: Path) -> None:
    project = _project(tmp_path, "[tool.cerkit.drift]\ntext = 'sloppy'\n")
    bad = _cerkit(project, "drift", "ledger.jsonl")
    assert bad.returncode == 2
    assert "drift.text: 'sloppy' is not one of" in bad.stderr
    assert _cerkit(project, "drift", "ledger.jsonl", "--text", "nope").returncode == 2
