"""The drift gate: what a timeline means for a CI job (docs/drift.md §6).

* :func:`require_comparison` fails closed: a gate over an empty store, an empty baseline or
  records that share no execution key with the baseline compared nothing, which is not a
  pass (:class:`~cerkit.errors.NothingToCompare`, exit 4), unless the caller allows it.
* :func:`gating_verdicts` and :func:`failing`: which verdicts fail ``--fail-on LEVEL``.
* :func:`report_rows`: one :class:`~cerkit.drift.ci_report.ReportRow` per execution key (its
  worst verdict, causes, message), what the JUnit and Markdown reports are written from.

Pure: values in, values out; reading records is :mod:`cerkit.drift.sources`' job.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from cerkit.drift.attribution import Explanation, Verdict
from cerkit.drift.ci_report import ReportRow
from cerkit.drift.timeline import Group, Timeline
from cerkit.errors import NothingToCompare
from cerkit.execution_key import execution_key

#: ``--fail-on`` levels, each failing on more than the one before.
FAIL_ON: Final[tuple[str, ...]] = ("unexplained", "nondeterministic", "any")
_UNEXPLAINED: Final[frozenset[str]] = frozenset(
    (Verdict.DRIFT_UNEXPLAINED, Verdict.INTEGRITY_FAILED)
)
_GATING: Final[dict[str, frozenset[str]]] = {
    "unexplained": _UNEXPLAINED,
    "nondeterministic": _UNEXPLAINED | {Verdict.NONDETERMINISTIC},
    "any": _UNEXPLAINED | {Verdict.NONDETERMINISTIC, Verdict.DRIFT_EXPLAINED, "NOT_EXPLAINED"},
}
#: A key's verdict in a report is its worst one, in this order (worst first).
SEVERITY: Final[tuple[str, ...]] = (
    Verdict.INTEGRITY_FAILED,
    Verdict.DRIFT_UNEXPLAINED,
    "NOT_EXPLAINED",
    Verdict.DRIFT_EXPLAINED,
    Verdict.NONDETERMINISTIC,
    Verdict.WITHIN_TOLERANCE,
    Verdict.EXPECTED_CHANGE,
    Verdict.STABLE_DESPITE_CHANGES,
    Verdict.IDENTICAL,
    "STABLE",
)


def gating_verdicts(fail_on: str) -> frozenset[str]:
    """The verdicts that fail ``--fail-on fail_on``: ``unexplained`` fails on
    DRIFT_UNEXPLAINED (and INTEGRITY_FAILED), ``nondeterministic`` also on NONDETERMINISTIC,
    ``any`` also on DRIFT_EXPLAINED and NOT_EXPLAINED. WITHIN_TOLERANCE never fails.

    Raises:
        KeyError: an unknown level (the CLI offers only :data:`FAIL_ON`).
    """
    return _GATING[fail_on]


def failing(timeline: Timeline, fail_on: str) -> list[str]:
    """The verdicts of ``timeline`` that fail ``--fail-on fail_on``, sorted."""
    bad = gating_verdicts(fail_on)
    return sorted(name for name in timeline.verdicts() if name in bad)


def require_comparison(
    rows: Sequence[tuple[str, str, str, str]],
    golden: Sequence[Mapping[str, Any]],
    *,
    source: str,
    baseline: str | None = None,
    replays: int = 0,
) -> None:
    """Fail closed when there is nothing to compare.

    Args:
        rows: the records' compact rows (``(certificateHash, executionKey, time, output)``).
        golden: the baseline's records (when a baseline was given).
        source: names where the rows came from, for the message ("the store X").
        baseline: the baseline folder, or None without one.
        replays: how many replays ``source`` also holds (named in the message: they are
            not new executions, so they leave nothing to compare either).

    Raises:
        NothingToCompare: ``source`` holds no record; the baseline holds no record; or no
            record shares an execution key with the baseline.
    """
    if not rows:
        besides = f" (only {replays} replays, which are not new executions)" if replays else ""
        raise NothingToCompare(f"empty store: {source} holds no records to compare{besides}")
    if baseline is None:
        return
    if not golden:
        raise NothingToCompare(f"empty baseline: {baseline} holds no records")
    keys = {execution_key(bundle) for bundle in golden}
    if not any(row[1] in keys for row in rows):
        raise NothingToCompare(
            f"no execution key in common: none of the {len(rows)} records of {source} has "
            f"the inputs of one of the {len(golden)} records in {baseline}"
        )


def _causes(explanation: Explanation | None) -> tuple[str, ...]:
    if explanation is None:
        return ()
    return tuple(f"{c.category}: {c.evidence[0]}" for c in explanation.causes[:3] if c.evidence)


def _rank(verdict: str) -> int:
    return SEVERITY.index(verdict) if verdict in SEVERITY else 0


def _group_findings(group: Group) -> list[tuple[str, Explanation | None, str]]:
    """``(verdict, explanation, message)`` for each change point of ``group``."""
    found = []
    for point in group.change_points:
        message = point.explanation.summary if point.explanation else "not explained (limit)"
        found.append((point.verdict, point.explanation, f"{point.time}: {message}"))
    return found


def report_rows(timeline: Timeline, fail_on: str | None = None) -> list[ReportRow]:
    """One row per execution key of ``timeline``: its worst verdict over its change points
    and its comparisons with the baseline, with the causes and message of that finding.

    A key with neither is ``STABLE`` (one output over its records). ``failed`` says whether
    the row's verdict fails ``--fail-on fail_on`` (never without a level).
    """
    bad = gating_verdicts(fail_on) if fail_on else frozenset()
    against: dict[str, list[tuple[str, Explanation | None, str]]] = {}
    for explanation in timeline.baseline:
        message = f"against the baseline: {explanation.summary}"
        against.setdefault(explanation.key_b, []).append(
            (str(explanation.verdict), explanation, message)
        )
    rows = []
    for group in timeline.groups:
        findings = _group_findings(group) + against.pop(group.key, [])
        rows.append(_row(group.key, group.label, group.count, findings, bad))
    for key, findings in against.items():  # a baseline record whose key has no group
        rows.append(_row(key, "", 0, findings, bad))
    return rows


def _row(
    key: str,
    label: str,
    count: int,
    findings: Iterable[tuple[str, Explanation | None, str]],
    bad: frozenset[str],
) -> ReportRow:
    ordered = sorted(findings, key=lambda f: (f[0] not in bad, _rank(f[0])))
    if not ordered:
        return ReportRow(key, label, "STABLE", (), f"one output over {count} record(s)")
    verdict, explanation, message = ordered[0]
    return ReportRow(key, label, verdict, _causes(explanation), message, verdict in bad)


__all__ = [
    "FAIL_ON",
    "SEVERITY",
    "failing",
    "gating_verdicts",
    "report_rows",
    "require_comparison",
]
