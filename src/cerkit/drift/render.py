"""Terminal rendering of explanations and timelines: a short summary first, details after."""

from __future__ import annotations

from typing import Any

from cerkit._text import counted
from cerkit.digest import is_digest
from cerkit.drift.attribution import Explanation
from cerkit.drift.confirm import Confirmation
from cerkit.drift.diff import MISSING, Change
from cerkit.drift.replay import ReplayResult
from cerkit.drift.timeline import Group, Timeline

_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _short(value: Any, width: int = 50) -> str:
    if is_digest(value):
        return f"{value[:19]}…"
    text = "absent" if value is MISSING else repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _hash(value: Any) -> str:
    text = str(value or "?")
    return text[:19] + "…" if len(text) > 20 else text


def _change(change: Change) -> str:
    if change.status == "unknown":
        return f"{change.path}: unknown ({change.reason})"
    return f"{change.path}: {_short(change.before)} -> {_short(change.after)}"


def explanation_text(explanation: Explanation, *, details: bool = True) -> str:
    """The human report of one comparison."""
    diff = explanation.diff
    same = "same" if explanation.key_a == explanation.key_b else "different"
    lines = [
        f"{explanation.verdict}: {explanation.summary}",
        f"  a {_hash(diff.a.get('certificateHash'))} ({diff.a.get('createdAt', '?')})"
        f"  b {_hash(diff.b.get('certificateHash'))} ({diff.b.get('createdAt', '?')})",
        f"  execution key: {same}",
    ]
    if explanation.causes:
        lines.append("Candidate causes, likeliest first:")
        for rank, cause in enumerate(explanation.causes, start=1):
            lines.append(f"  {rank}. [{cause.category}] {cause.subject} (score {cause.score})")
            lines.extend(f"       {line}" for line in cause.evidence)
        lines.append("Evidence used: " + "; ".join(explanation.evidence_used))
    lines.extend(f"Note: {note}" for note in explanation.notes)
    if details:
        lines.append("Changes by facet:")
        facets = diff.facets()
        for facet in facets:
            lines.append(f"  {facet}")
            lines.extend(f"    {_change(c)}" for c in diff.in_facet(facet))
        if not facets:
            lines.append("  (none)")
    return "\n".join(lines)


def confirmation_text(result: Confirmation) -> str:
    """The human report of a confirmation or bisection."""
    lines = [f"{result.verdict}: {result.summary()}"]
    for tested in result.tested:
        c = tested.candidate
        runs = f" (run {', '.join(str(i + 1) for i in tested.trials)})" if tested.trials else ""
        lines.append(f"  {tested.outcome:<12} [{c.category}] {c.subject}: {tested.reason}{runs}")
    for index, trial in enumerate(result.trials, start=1):
        lines.append(f"  run {index}: {trial.purpose} -> {trial.matches} ({trial.seconds:.2f} s)")
    lines.extend(f"Note: {note}" for note in result.notes)
    return "\n".join(lines)


def _runs(group: Group, width: int = 60) -> str:
    pieces = []
    for run in group.runs:
        letter = _LETTERS[run.variant] if run.variant < len(_LETTERS) else "?"
        pieces.append(f"{letter}×{run.count}")
    text = " ".join(pieces)
    return text if len(text) <= width else text[: width - 1] + "…"


def timeline_text(timeline: Timeline) -> str:
    """The human report of a drift analysis."""
    verdicts = ", ".join(f"{n} {v}" for v, n in sorted(timeline.verdicts().items()))
    lines = [
        f"{counted(timeline.records, 'record')}, {counted(len(timeline.groups), 'execution key')}, "
        f"{counted(len(timeline.change_points()), 'change point')}"
        + (f": {verdicts}" if verdicts else "")
    ]
    hidden = sum(1 for g in timeline.groups if not g.label)
    for group in timeline.groups:
        if not group.label:
            continue
        lines.append(
            f"{group.label}  key {_hash(group.key)}  {counted(group.count, 'record')}, "
            f"{group.distinct_outputs} distinct outputs  [{_runs(group)}]"
        )
        for point in group.change_points:
            top = ""
            if point.explanation and point.explanation.causes:
                cause = point.explanation.causes[0]
                top = f"  {cause.category}: {cause.evidence[0]}"
            elif point.explanation:
                top = f"  {point.explanation.summary}"
            lines.append(f"  {point.time}  {point.verdict}{top}")
    if hidden:
        lines.append(f"... and {hidden} more execution keys with a stable output")
    for explanation in timeline.baseline:
        lines.append(f"baseline: {explanation.verdict}: {explanation.summary}")
    return "\n".join(lines)


def replay_text(result: ReplayResult) -> str:
    """The terminal summary: the label line, then the comparison with the original."""
    runs = len(result.records)
    lines = [f"{result.label}: {result.distinct_outputs} distinct output(s) in {runs} run(s)"]
    if result.against_original is not None:
        lines.append(explanation_text(result.against_original, details=False))
    return "\n".join(lines)
