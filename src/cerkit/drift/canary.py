"""Canaries: re-execute golden records and report drift against them (docs/drift.md §10).

For each golden record (:mod:`cerkit.drift.golden`), :func:`obstacle` says up front whether it
can be re-executed (hashes that recompute, a Python call whose inputs were kept, an entry
point the injected blocker accepts) and why not; :func:`run_canary` re-executes the others
once through an injected runner (:func:`cerkit.drift.rerun.run_fresh` in ``cerkit canary
run``) and explains each new record against its golden one. The :class:`CanaryReport`
groups the checks per execution key and renders the JSON report, one alert per drifted key,
the JUnit/Markdown rows and an OpenMetrics text file. Pure apart from the runner; posting
alerts and writing files is :mod:`cerkit.drift.alerts`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cerkit._text import counted
from cerkit.drift.attribution import Explanation, explain, integrity_failure
from cerkit.drift.ci_report import ReportRow
from cerkit.drift.gate import gating_verdicts
from cerkit.drift.golden import PASSING, call_name
from cerkit.drift.render import explanation_text
from cerkit.drift.replay import recorded_inputs
from cerkit.errors import CerkitError
from cerkit.execution_key import execution_key

#: A runner re-executes a golden record once and returns the new sealed record; it raises a
#: :class:`~cerkit.errors.CerkitError` when the re-run could not run or wrote no record.
Runner = Callable[[Mapping[str, Any]], Mapping[str, Any]]

COMPARED: Final[str] = "compared"
NOT_RERUNNABLE: Final[str] = "not-rerunnable"
RERUN_FAILED: Final[str] = "rerun-failed"
#: Causes an alert carries (the JSON report keeps them all).
ALERT_CAUSES: Final[int] = 5


def obstacle(
    bundle: Mapping[str, Any], blocker: Callable[[str], str | None] | None = None
) -> str | None:
    """Why a golden record cannot be re-executed, or ``None`` when it can.

    Args:
        bundle: the golden record.
        blocker: why an entry point cannot be called from here (``None``: it can be tried),
            e.g. :func:`cerkit.drift.rerun.replay_blocker`.
    """
    broken = integrity_failure(bundle)
    if broken is not None:
        return f"the golden record does not verify: {broken}"
    try:
        call = recorded_inputs(bundle)
    except CerkitError as exc:  # not a Python call, or inputs kept as digests only
        return exc.message
    why = blocker(call.entry_point) if blocker is not None else None
    return f"{call.entry_point} cannot be re-run: {why}" if why else None


@dataclass(frozen=True, slots=True)
class CanaryCheck:
    """One golden record: re-run and compared, or why not."""

    source: str
    golden: Mapping[str, Any]
    status: str  # COMPARED, NOT_RERUNNABLE or RERUN_FAILED
    reason: str | None = None
    new: Mapping[str, Any] | None = None
    explanation: Explanation | None = None

    @property
    def key(self) -> str:
        return execution_key(self.golden)

    @property
    def name(self) -> str:
        return call_name(self.golden)

    @property
    def verdict(self) -> str | None:
        return str(self.explanation.verdict) if self.explanation is not None else None

    @property
    def drifted(self) -> bool:
        """Compared, and the re-run did not reproduce the golden record."""
        return self.explanation is not None and str(self.explanation.verdict) not in PASSING

    def to_json(self) -> dict[str, Any]:
        return {
            "golden": self.source,
            "goldenRecord": self.golden.get("certificateHash"),
            "executionKey": self.key,
            "call": self.name,
            "status": self.status,
            "reason": self.reason,
            "newRecord": self.new.get("certificateHash") if self.new is not None else None,
            "verdict": self.verdict,
            "drifted": self.drifted,
            "explanation": self.explanation.to_json() if self.explanation else None,
        }


@dataclass(frozen=True, slots=True)
class CanaryReport:
    """Every golden record's check, in the order given, and when the run ended."""

    checks: tuple[CanaryCheck, ...]
    finished: float  # Unix time

    def by_key(self) -> dict[str, list[CanaryCheck]]:
        keys: dict[str, list[CanaryCheck]] = {}
        for check in self.checks:
            keys.setdefault(check.key, []).append(check)
        return keys

    @property
    def drifted_keys(self) -> list[str]:
        return [k for k, checks in self.by_key().items() if any(c.drifted for c in checks)]

    @property
    def compared(self) -> int:
        return sum(1 for c in self.checks if c.status == COMPARED)

    @property
    def not_compared(self) -> tuple[CanaryCheck, ...]:
        return tuple(c for c in self.checks if c.status != COMPARED)

    def summary(self) -> str:
        keys = self.by_key()
        text = (
            f"{counted(len(self.checks), 'golden record')}, "
            f"{counted(len(keys), 'execution key')}: {len(self.drifted_keys)} drifted"
        )
        if self.not_compared:
            text += f"; {counted(len(self.not_compared), 'record')} not compared"
        return text

    def text(self) -> str:
        """The terminal report: the summary, then each record's verdict (causes when drifted)."""
        lines = [f"canary: {self.summary()}"]
        for check in self.checks:
            where = f"{check.name} ({check.source})"
            if check.explanation is None:
                lines.append(f"  NOT COMPARED {where}: {check.reason}")
            elif check.drifted:
                body = explanation_text(check.explanation, details=False).splitlines()
                lines.append(f"  DRIFT {where}: {body[0]}")
                lines.extend(f"    {line}" for line in body[1:])
            else:
                lines.append(f"  ok {where}: {check.explanation.verdict}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary(),
            "goldenRecords": len(self.checks),
            "compared": self.compared,
            "notCompared": len(self.not_compared),
            "driftedKeys": self.drifted_keys,
            "finishedAt": self.finished,
            "checks": [c.to_json() for c in self.checks],
        }

    def failing_keys(self, fail_on: str) -> list[str]:
        """The drifted keys whose drift fails ``--fail-on fail_on``: ``any`` fails on every
        re-run that did not reproduce its golden record; ``unexplained`` and
        ``nondeterministic`` on the verdicts the drift gate fails on at that level."""
        gating = gating_verdicts(fail_on)
        return [
            key
            for key, checks in self.by_key().items()
            if any(c.drifted and (fail_on == "any" or c.verdict in gating) for c in checks)
        ]

    def report_rows(self, fail_on: str) -> list[ReportRow]:
        """One row per execution key for the JUnit and Markdown reports: its first drifted
        check, else its first compared one, else why nothing was compared."""
        failing = set(self.failing_keys(fail_on))
        rows = []
        for key, checks in self.by_key().items():
            check = next((c for c in checks if c.drifted), None)
            check = check or next((c for c in checks if c.explanation is not None), checks[0])
            explanation = check.explanation
            verdict, message = "NOT_COMPARED", check.reason or ""
            causes: tuple[str, ...] = ()
            if explanation is not None:
                verdict, message = str(explanation.verdict), explanation.summary
                causes = tuple(
                    f"{c.category}: {c.evidence[0]}" for c in explanation.causes if c.evidence
                )
            rows.append(
                ReportRow(
                    key, check.name, verdict, causes, message, key in failing, explanation is None
                )
            )
        return rows

    def alerts(self) -> list[dict[str, Any]]:
        """One alert per drifted execution key (its first drifted record): names, hashes,
        the verdict and the likeliest causes; never an input, an output or a value of the
        record beyond what the causes' evidence quotes."""
        found = []
        for key in self.drifted_keys:
            check = next(c for c in self.by_key()[key] if c.drifted)
            assert check.explanation is not None and check.new is not None
            causes = check.explanation.causes[:ALERT_CAUSES]
            found.append(
                {
                    "type": "cerkit.canary.drift",
                    "executionKey": key,
                    "call": check.name,
                    "verdict": str(check.explanation.verdict),
                    "summary": check.explanation.summary,
                    "causes": [
                        {
                            "category": c.category,
                            "subject": c.subject,
                            "score": c.score,
                            "evidence": list(c.evidence),
                        }
                        for c in causes
                    ],
                    "golden": {"file": check.source, "record": check.golden.get("certificateHash")},
                    "newRecord": check.new.get("certificateHash"),
                    "checkedAt": self.finished,
                }
            )
        return found


def _label(value: str) -> str:
    """An OpenMetrics label value: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def metrics_text(report: CanaryReport) -> str:
    """The report as an OpenMetrics text exposition (node-exporter's textfile collector
    reads it too: ``# EOF`` is a comment in the Prometheus text format).

    ``cerkit_canary_drift{key, call}`` is 1 for a drifted key and 0 for a reproduced one; a
    key none of whose records could be compared has no sample (unknown is not 0).
    """
    lines = [
        "# HELP cerkit_canary_drift Whether the execution key drifted from its golden record.",
        "# TYPE cerkit_canary_drift gauge",
    ]
    drifted = set(report.drifted_keys)
    for key, checks in report.by_key().items():
        if any(c.status == COMPARED for c in checks):
            labels = f'key="{_label(key)}",call="{_label(checks[0].name)}"'
            lines.append(f"cerkit_canary_drift{{{labels}}} {int(key in drifted)}")
    lines += [
        "# HELP cerkit_canary_not_compared Golden records the last run could not re-run.",
        "# TYPE cerkit_canary_not_compared gauge",
        f"cerkit_canary_not_compared {len(report.not_compared)}",
        "# HELP cerkit_canary_last_run_timestamp_seconds When the last canary run ended.",
        "# TYPE cerkit_canary_last_run_timestamp_seconds gauge",
        "# UNIT cerkit_canary_last_run_timestamp_seconds seconds",
        f"cerkit_canary_last_run_timestamp_seconds {report.finished:.3f}",
        "# EOF",
    ]
    return "\n".join(lines) + "\n"


def run_canary(
    goldens: Sequence[tuple[str, Mapping[str, Any]]],
    runner: Runner,
    *,
    clock: Callable[[], float],
    blocker: Callable[[str], str | None] | None = None,
    on_skip: Callable[[CanaryCheck], None] | None = None,
) -> CanaryReport:
    """Re-execute each golden record once and explain the new record against it.

    Args:
        goldens: ``(source file, golden record)`` pairs, in report order.
        runner: re-executes one record (see :data:`Runner`).
        clock: the time the run ends is read from it (``time.time``).
        blocker: as for :func:`obstacle`.
        on_skip: told first, before anything runs, of every record that cannot be re-run.

    Returns:
        A :class:`CanaryReport`.
    """
    planned = [(source, bundle, obstacle(bundle, blocker)) for source, bundle in goldens]
    for source, bundle, why in planned:
        if why is not None and on_skip is not None:
            on_skip(CanaryCheck(source, bundle, NOT_RERUNNABLE, why))
    checks = []
    for source, bundle, why in planned:
        if why is not None:
            checks.append(CanaryCheck(source, bundle, NOT_RERUNNABLE, why))
            continue
        try:
            new = runner(bundle)
        except CerkitError as exc:
            checks.append(CanaryCheck(source, bundle, RERUN_FAILED, exc.message))
            continue
        checks.append(CanaryCheck(source, bundle, COMPARED, None, new, explain(bundle, new)))
    return CanaryReport(tuple(checks), clock())


__all__ = [
    "COMPARED",
    "NOT_RERUNNABLE",
    "RERUN_FAILED",
    "CanaryCheck",
    "CanaryReport",
    "Runner",
    "metrics_text",
    "obstacle",
    "run_canary",
]
