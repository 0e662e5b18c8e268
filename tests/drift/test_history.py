"""Evidence from history: causes re-ranked by what the ledger shows (docs/drift.md §3b)."""

from __future__ import annotations

from typing import Any

from drift_records import make

from cerkit.drift.attribution import explain
from cerkit.drift.history import from_runs, observe, weigh
from cerkit.drift.timeline import analyze, row_of

ENV = "environment"


def _at(hour: int) -> str:
    return f"2026-01-01T{hour:02d}:00:00.000Z"


def _bump(version: str) -> dict[str, Any]:
    return {
        f"{ENV}.packages.installed.tinypkg": version,
        f"{ENV}.imported.packages.tinypkg": version,
    }


def _ledger() -> list[dict[str, Any]]:
    """tinypkg moves at hour 2 without moving the output; at hour 4 it moves again together
    with OMP_NUM_THREADS, and the output changes."""
    records = [make(at=_at(0)), make(at=_at(1))]
    records += [make(_bump("1.1"), at=_at(2)), make(_bump("1.1"), at=_at(3))]
    moved = {**_bump("1.2"), f"{ENV}.envVars.values": {"OMP_NUM_THREADS": "4"}, "output": 0.9}
    records += [make(moved, at=_at(4)), make(moved, at=_at(5))]
    return records


def test_without_history_the_imported_package_outranks_the_variable() -> None:
    records = _ledger()
    causes = explain(records[3], records[4]).causes
    assert [c.subject for c in causes[:2]] == ["tinypkg", "OMP_NUM_THREADS"]


def test_a_fact_that_changed_without_moving_the_output_ranks_lower_over_a_ledger() -> None:
    records = _ledger()
    by_hash = {r["certificateHash"]: r for r in records}
    timeline = analyze([row_of(r) for r in records], by_hash.__getitem__)
    (point,) = timeline.change_points()
    assert point.explanation is not None
    top, second = point.explanation.causes[:2]
    assert top.subject == "OMP_NUM_THREADS"
    assert (second.subject, second.score) == ("tinypkg", 40)
    assert "without moving the output" in second.evidence[-1]
    used = point.explanation.to_json()["evidenceUsed"]
    assert used[0].startswith("rules")
    assert "1 output change(s) and 2 stable stretch(es) over 6 record(s)" in used[1]
    assert "likeliest cause (environment)" in point.explanation.summary


def test_a_fact_that_changes_at_every_output_change_ranks_higher() -> None:
    a, b, c = (make({"output": v, **_bump(f"1.{v}")}, at=_at(v)) for v in (1, 2, 3))
    b2 = make({"output": 2, **_bump("1.2"), f"{ENV}.envVars.values": {"OMP_NUM_THREADS": "3"}})
    history = from_runs(
        [(r["certificateHash"], r["certificateHash"], 1) for r in (a, b, c)],
        {r["certificateHash"]: r for r in (a, b, c)}.__getitem__,
        [(a["certificateHash"], b["certificateHash"], None)],
    )
    weighed = weigh(explain(b, c), history)
    (cause,) = weighed.causes
    assert (cause.subject, cause.score) == ("tinypkg", 95)
    assert "each of the 2 output changes" in cause.evidence[-1]
    assert observe(a, b2).subjects >= {("dependency", "tinypkg")}


def test_no_history_leaves_the_explanation_unchanged() -> None:
    a, b = make(), make({"output": 0.9, **_bump("2.0")})
    explanation = explain(a, b)
    assert weigh(explanation, None) is explanation
    assert explanation.to_json()["evidenceUsed"] == list(explanation.evidence_used)
