"""The drift gate through the CLI: it fails closed, and writes JUnit and Markdown reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
import xmlschema
from drift_records import make

from cerkit.drift.ci_report import JUNIT_SCHEMA, ReportRow, junit_xml, markdown
from cerkit.ledger.sqlite import SQLiteRecordStore

NOTHING = 4


def _at(day: int, hour: int = 0) -> str:
    return f"2026-01-{day:02d}T{hour:02d}:00:00.000Z"


def _cerkit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "cerkit"), *args]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=cwd
    )


def _jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _golden(tmp_path: Path, *records: dict[str, Any]) -> Path:
    folder = tmp_path / "golden"
    folder.mkdir(exist_ok=True)
    for number, record in enumerate(records):
        (folder / f"g{number}.json").write_text(json.dumps(record))
    return folder


def _nothing(result: subprocess.CompletedProcess[str], why: str) -> None:
    assert result.returncode == NOTHING, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"cerkit: NOTHING_TO_COMPARE: {why}"), line


def test_a_gate_over_an_empty_store_fails_closed_unless_empty_is_allowed(tmp_path: Path) -> None:
    store = tmp_path / "ledger.db"
    SQLiteRecordStore(store).close()
    gate = ("drift", "--store", str(store), "--fail-on", "unexplained")
    _nothing(_cerkit(*gate), "empty store: the store")
    _nothing(_cerkit(*gate, "--baseline", str(_golden(tmp_path, make()))), "empty store")
    assert _cerkit(*gate, "--allow-empty").returncode == 0
    # without a gate, an empty store is just an empty report
    assert _cerkit("drift", "--store", str(store)).returncode == 0


def test_a_gate_over_a_missing_store_fails_closed_even_when_empty_is_allowed(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "nowhere.db")
    gate = ("drift", "--store", missing, "--fail-on", "any")
    _nothing(_cerkit(*gate), "empty store: no record store at")
    _nothing(_cerkit(*gate, "--allow-empty"), "empty store: no record store at")
    assert not Path(missing).exists()
    assert _cerkit("drift", "--store", missing).returncode == 3  # no gate: operational


def test_a_gate_over_record_files_holding_no_record_fails_closed(tmp_path: Path) -> None:
    empty = _jsonl(tmp_path / "none.jsonl", [])
    _nothing(_cerkit("drift", str(empty), "--fail-on", "any"), "empty store: the 1 file(s)")
    since = _jsonl(tmp_path / "old.jsonl", [make(at=_at(1))])
    gated = _cerkit("drift", str(since), "--since", _at(9), "--fail-on", "any")
    _nothing(gated, "empty store")


def test_a_gate_against_an_empty_baseline_fails_closed(tmp_path: Path) -> None:
    ledger = _jsonl(tmp_path / "l.jsonl", [make(at=_at(2))])
    empty = tmp_path / "golden"
    empty.mkdir()
    (empty / "README.txt").write_text("not a record")
    gate = ("drift", str(ledger), "--baseline", str(empty), "--fail-on", "unexplained")
    _nothing(_cerkit(*gate), f"empty baseline: {empty} holds no records")
    assert _cerkit(*gate, "--allow-empty").returncode == 0


def test_a_gate_against_an_unreadable_baseline_fails_closed_even_when_empty_is_allowed(
    tmp_path: Path,
) -> None:
    ledger = _jsonl(tmp_path / "l.jsonl", [make(at=_at(2))])
    broken = _golden(tmp_path, make())
    (broken / "torn.json").write_text('{"snapshot": ')
    gate = ("drift", str(ledger), "--baseline", str(broken), "--fail-on", "unexplained")
    _nothing(_cerkit(*gate), "unreadable baseline:")
    _nothing(_cerkit(*gate, "--allow-empty"), "unreadable baseline:")
    not_a_folder = ("drift", str(ledger), "--baseline", str(ledger), "--fail-on", "any")
    _nothing(_cerkit(*not_a_folder), "unreadable baseline: --baseline")
    # without a gate the bad baseline is the error it always was
    assert _cerkit("drift", str(ledger), "--baseline", str(broken)).returncode == 1


def test_a_gate_whose_records_share_no_key_with_the_baseline_fails_closed(tmp_path: Path) -> None:
    other = make({"input": {"args": [[3.0]], "kwargs": {}}}, at=_at(2))
    ledger = _jsonl(tmp_path / "l.jsonl", [other])
    gate = ("drift", str(ledger), "--baseline", str(_golden(tmp_path, make())), "--fail-on", "any")
    _nothing(_cerkit(*gate), "no execution key in common: none of the 1 records")
    assert _cerkit(*gate, "--allow-empty").returncode == 0
    same = _jsonl(tmp_path / "same.jsonl", [make(at=_at(3))])
    assert _cerkit("drift", str(same), *gate[2:]).returncode == 0


def test_the_exit_code_is_in_the_help() -> None:
    result = _cerkit("drift", "--help")
    assert "4 NOTHING_TO_COMPARE" in " ".join(result.stdout.split())


def _ledger() -> list[dict[str, Any]]:
    """Two keys: one drifts on a shifted default (explained), one flips (unexplained)."""
    records = [
        make(at=_at(1)),
        make({"effectiveParameters.threshold": 0.9, "output": 0.1}, at=_at(2)),
    ]
    noisy = {"input": {"args": [[5.0]], "kwargs": {}}}
    records += [make({**noisy, "output": n}, at=_at(3, n)) for n in (1, 2)]
    return records


def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(JUNIT_SCHEMA))


def test_junit_and_markdown_reports_have_a_case_per_key_and_fail_the_gating_ones(
    tmp_path: Path,
) -> None:
    ledger = _jsonl(tmp_path / "l.jsonl", _ledger())
    junit, summary = tmp_path / "drift.xml", tmp_path / "drift.md"
    result = _cerkit(
        "drift", str(ledger), "--fail-on", "unexplained",
        "--junit", str(junit), "--markdown", str(summary),
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert f"cerkit: wrote {junit}" in result.stderr
    _schema().validate(str(junit))
    root = ElementTree.parse(junit).getroot()
    assert root.get("tests") == "2" and root.get("failures") == "1"
    cases = root.findall("testsuite/testcase")
    assert [c.get("name") for c in cases] == ["app.score:predict"] * 2
    failed = [c for c in cases if c.find("failure") is not None]
    assert [f.find("failure").get("type") for f in failed] == ["DRIFT_UNEXPLAINED"]  # type: ignore[union-attr]
    props = {
        p.get("name"): p.get("value")
        for suite in root.findall("testsuite")
        for p in suite.findall("properties/property")
        if suite.find("testcase/failure") is None
    }
    assert props["cerkit.verdict"] == "DRIFT_EXPLAINED"
    assert props["cerkit.cause.1"].startswith("parameter-default: ")
    assert props["cerkit.failOn"] == "unexplained"
    text = summary.read_text()
    assert text.startswith("### ❌ cerkit drift: 1 of 2 execution keys failed the gate")
    table = [line for line in text.splitlines() if line.startswith("| ❌")]
    assert len(table) == 1 and "DRIFT&#95;UNEXPLAINED" in table[0]


def test_reports_of_a_passing_gate_have_no_failure(tmp_path: Path) -> None:
    ledger = _jsonl(tmp_path / "l.jsonl", _ledger()[:2])
    junit = tmp_path / "drift.xml"
    result = _cerkit("drift", str(ledger), "--fail-on", "unexplained", "--junit", str(junit))
    assert result.returncode == 0, result.stderr
    _schema().validate(str(junit))
    assert ElementTree.parse(junit).getroot().get("failures") == "0"


HOSTILE = 'app:<b>\x00\x1b[31m & "q" | @team [x](javascript:alert(1)) \ud800\n`code`'


def test_hostile_values_keep_the_junit_valid_and_the_markdown_inert(tmp_path: Path) -> None:
    rows = [
        ReportRow("sha256:" + "a" * 64, HOSTILE, "DRIFT_UNEXPLAINED", (HOSTILE,), HOSTILE, True),
        ReportRow("sha256:" + "b" * 64, "", "STABLE", skipped=True),
    ]
    path = tmp_path / "hostile.xml"
    path.write_text(junit_xml(rows, name=HOSTILE), encoding="utf-8", errors="backslashreplace")
    _schema().validate(str(path))
    root = ElementTree.parse(path).getroot()
    assert root.find("testsuite/testcase").get("name").startswith("app:<b>\\x{0}")  # type: ignore[union-attr]
    assert root.findall("testsuite")[1].find("testcase/skipped") is not None
    text = markdown(rows, title=HOSTILE)
    row = next(line for line in text.splitlines() if line.startswith("| ❌"))
    assert row.count("|") == 6  # the value did not add a cell
    for literal in ("<b>", "@team", "[x]", "](", "`"):
        assert literal not in text


@pytest.mark.parametrize("count", [0, 150])
def test_markdown_says_when_nothing_or_too_much_was_compared(count: int) -> None:
    rows = [ReportRow(f"sha256:{i:064x}", "app:f", "STABLE") for i in range(count)]
    text = markdown(rows)
    if count == 0:
        assert "Nothing was compared." in text
    else:
        assert text.count("\n| ✅") == 100 and "… and 50 more keys." in text
