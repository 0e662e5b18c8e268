"""docs/ci.md: the GitHub Actions workflow and the GitLab CI job parse and run the gate."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from cerkit.cli import build_parser

DOC = Path(__file__).resolve().parent.parent / "docs" / "ci.md"
GATE = "cerkit drift --store .cerkit/ledger.db --baseline golden/ --fail-on unexplained"
REPORTS = ("reports/drift.xml", "reports/drift.md")


def _blocks() -> list[Any]:
    found = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    return [yaml.safe_load(block) for block in found]


def _gate_arguments(command: str) -> Any:
    """The gate line parsed by cerkit's own parser (a typo in a flag fails here)."""
    line = next(part for part in command.split("\n") if part.strip().startswith("cerkit drift"))
    return build_parser().parse_args(shlex.split(line)[1:])


def _check_gate(command: str) -> None:
    assert " ".join(command.split()).startswith(GATE)
    args = _gate_arguments(" ".join(command.split()))
    assert (args.baseline, args.fail_on) == ("golden/", "unexplained")
    assert (args.junit, args.markdown) == REPORTS


def test_the_page_holds_a_workflow_and_a_job() -> None:
    assert len(_blocks()) == 2


def test_the_github_workflow_records_gates_and_keeps_the_reports() -> None:
    workflow = _blocks()[0]
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key "on" as True
    steps = workflow["jobs"]["drift"]["steps"]
    runs = [step["run"] for step in steps if "run" in step]
    assert any("python -m app.evaluate" in run for run in runs)
    gate = next(run for run in runs if run.lstrip().startswith("cerkit drift"))
    _check_gate(gate)
    upload = next(step for step in steps if str(step.get("uses", "")).startswith("actions/up"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "reports/"
    assert any("reports/drift.md" in run and "GITHUB_STEP_SUMMARY" in run for run in runs)


def test_the_gitlab_job_gates_and_publishes_the_junit_report() -> None:
    job = _blocks()[1]["drift-gate"]
    gate = next(line for line in job["script"] if line.startswith("cerkit drift"))
    _check_gate(gate)
    assert job["artifacts"]["when"] == "always"
    assert job["artifacts"]["reports"]["junit"] == REPORTS[0]
    assert "reports/" in job["artifacts"]["paths"]
