"""Verdicts and ranked causes: why two records with the same inputs differ (DESIGN.md §5).

:func:`explain` diffs two records, decides a verdict and ranks the candidate causes. Each
change that is not an input, a passed parameter or an output is classified by
:mod:`cerkit.drift.rules` into a category and a score with the evidence behind it; changes
about the same subject (one package, one model, one variable) merge into one cause that keeps
the highest score. Higher scores are likelier causes (the table is in docs/drift.md §3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cerkit.drift.diff import Change, RecordDiff, diff_records, lookup
from cerkit.drift.rules import CATEGORY_ORDER, Finding, classify
from cerkit.execution_key import execution_key
from cerkit.verify.integrity import check_integrity
from cerkit.verify.report import Report


class Verdict(StrEnum):
    """What the comparison of two records concludes."""

    IDENTICAL = "IDENTICAL"
    #: A record's hashes do not recompute: its content is not what was sealed, so no
    #: comparison of it means anything (never IDENTICAL, whatever the two contents say).
    INTEGRITY_FAILED = "INTEGRITY_FAILED"
    EXPECTED_CHANGE = "EXPECTED_CHANGE"
    DRIFT_EXPLAINED = "DRIFT_EXPLAINED"
    DRIFT_UNEXPLAINED = "DRIFT_UNEXPLAINED"
    STABLE_DESPITE_CHANGES = "STABLE_DESPITE_CHANGES"
    #: Same key, output differs, but within the configured tolerance (docs/drift.md §4b):
    #: the diff still shows the exact difference.
    WITHIN_TOLERANCE = "WITHIN_TOLERANCE"
    #: Same key, output differs with every recorded factor equal, and the key is known to
    #: vary: its replays disagreed, or the configuration declares it (docs/drift.md §4c).
    NONDETERMINISTIC = "NONDETERMINISTIC"


#: Facets that make two records different requests rather than drift.
_REQUEST_FACETS = frozenset(("inputs", "parameters"))


@dataclass(frozen=True, slots=True)
class Cause:
    """One candidate cause: a category, its subject, a score and the evidence for it."""

    category: str
    subject: str
    score: int
    evidence: tuple[str, ...]
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "subject": self.subject,
            "score": self.score,
            "evidence": list(self.evidence),
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    """The verdict on a pair of records, the ranked causes and the full diff."""

    verdict: Verdict
    summary: str
    diff: RecordDiff
    key_a: str
    key_b: str
    causes: tuple[Cause, ...]
    notes: tuple[str, ...]
    #: What the ranking rests on: the rule table, then any history or confirmation.
    evidence_used: tuple[str, ...] = ("rules: the attribution table (docs/drift.md §3)",)

    @property
    def is_drift(self) -> bool:
        return self.verdict in (Verdict.DRIFT_EXPLAINED, Verdict.DRIFT_UNEXPLAINED)

    def _repr_html_(self) -> str:
        """How a notebook shows it: the drift report's renderer (escaped)."""
        from cerkit.drift.html import explanation_html

        return explanation_html(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "summary": self.summary,
            "a": self.diff.a.get("certificateHash"),
            "b": self.diff.b.get("certificateHash"),
            "executionKey": {"a": self.key_a, "b": self.key_b, "same": self.key_a == self.key_b},
            "causes": [c.to_json() for c in self.causes],
            "facets": self.diff.facets(),
            "unknown": [c.to_json() for c in self.diff.unknown],
            "notes": list(self.notes),
            "evidenceUsed": list(self.evidence_used),
        }


def explain(a: Mapping[str, Any], b: Mapping[str, Any]) -> Explanation:
    """Diff two records, decide the verdict and rank the candidate causes.

    Args:
        a: the earlier (or golden) bundle.
        b: the later (or candidate) bundle.

    Returns:
        An :class:`Explanation`.

    >>> from cerkit.seal import seal_args
    >>> r = seal_args({"executionId": "e", "provider": "python", "model": "m:f",
    ...     "prompt": "m:f", "input": 1, "output": 2, "timestamp": "t",
    ...     "parameters": {"temperature": 0, "maxTokens": 0}}, created_at="t")
    >>> explain(r, r).verdict
    <Verdict.IDENTICAL: 'IDENTICAL'>
    """
    diff = diff_records(a, b)
    key_a, key_b = execution_key(a), execution_key(b)
    causes = rank_causes(diff)
    output_moved = lookup(a, ("snapshot", "outputHash")) != lookup(b, ("snapshot", "outputHash"))
    requests = [c for c in diff.known if c.facet in _REQUEST_FACETS]
    # Integrity first: outputHash is the record's own claim, and a record changed after
    # sealing keeps it, so comparing claims alone would call a tampered output IDENTICAL.
    broken = [f"{name}: {why}" for name, r in (("a", a), ("b", b)) if (why := integrity_failure(r))]
    if broken:
        summary = "not comparable: " + "; ".join(broken)
        return Explanation(Verdict.INTEGRITY_FAILED, summary, diff, key_a, key_b, causes, ())
    if key_a != key_b or requests:
        verdict = Verdict.EXPECTED_CHANGE
    elif not output_moved:
        verdict = Verdict.STABLE_DESPITE_CHANGES if causes else Verdict.IDENTICAL
    else:
        verdict = Verdict.DRIFT_EXPLAINED if causes else Verdict.DRIFT_UNEXPLAINED
    notes = _notes(diff, verdict, requests)
    summary = _summary(verdict, causes, requests, len(diff.unknown))
    return Explanation(verdict, summary, diff, key_a, key_b, causes, notes)


def integrity_failure(bundle: Mapping[str, Any]) -> str | None:
    """Why ``bundle`` fails the integrity layer (``REASON message``), or None when its
    hashes recompute (docs/spec.md §6, layer 1)."""
    report = Report(certificate_hash="")
    if check_integrity(bundle, report):
        return None
    first = report.failures[0] if report.failures else None
    return f"{first.reason} ({first.name}: {first.message})" if first else "not checked"


def rank_causes(diff: RecordDiff) -> tuple[Cause, ...]:
    """Classify every known change outside inputs, passed parameters and outputs; merge the
    findings per (category, subject) and sort them by score, likeliest first."""
    merged: dict[tuple[str, str], list[tuple[Finding, Change]]] = {}
    for change in diff.known:
        if change.facet in ("parameters", "outputs"):
            continue  # inputs reach classify only for the prompt
        finding = classify(change, diff.a, diff.b)
        if finding is not None:
            merged.setdefault((finding.category, finding.subject), []).append((finding, change))
    causes = []
    for (category, subject), found in merged.items():
        found.sort(key=lambda fc: -fc[0].score)
        evidence = tuple(dict.fromkeys(f.evidence for f, _ in found))
        changes = tuple(c for _, c in found)
        causes.append(Cause(category, subject, found[0][0].score, evidence, changes))
    return order_causes(causes)


def with_causes(explanation: Explanation, causes: Iterable[Cause], evidence: str) -> Explanation:
    """``explanation`` with its causes replaced (re-ordered, summary rewritten) and
    ``evidence`` added to what the ranking rests on."""
    ordered = order_causes(causes)
    summary = explanation.summary
    if explanation.verdict in (Verdict.DRIFT_EXPLAINED, Verdict.STABLE_DESPITE_CHANGES):
        summary = _summary(explanation.verdict, ordered, [], len(explanation.diff.unknown))
    return dataclasses.replace(
        explanation,
        causes=ordered,
        summary=summary,
        evidence_used=(*explanation.evidence_used, evidence),
    )


def order_causes(causes: Iterable[Cause]) -> tuple[Cause, ...]:
    """Causes by score, likeliest first; ties by category order, then subject."""
    return tuple(
        sorted(causes, key=lambda c: (-c.score, CATEGORY_ORDER.index(c.category), c.subject))
    )


def _summary(
    verdict: Verdict, causes: tuple[Cause, ...], requests: list[Change], unknown: int
) -> str:
    if verdict is Verdict.IDENTICAL:
        tail = f" ({unknown} could not be compared)" if unknown else ""
        return f"same inputs, same output, no recorded factor changed{tail}"
    if verdict is Verdict.EXPECTED_CHANGE:
        paths = ", ".join(sorted({c.path.removeprefix("snapshot.") for c in requests})[:3])
        return f"different request (inputs or passed parameters differ: {paths or 'key'})"
    if verdict is Verdict.DRIFT_UNEXPLAINED:
        if unknown:
            return (
                f"same inputs, output changed, no recorded factor changed but {unknown} "
                "could not be compared: nondeterminism or an unrecorded cause"
            )
        return "same inputs, output changed, every recorded factor equal: nondeterminism"
    top = causes[0]
    if verdict is Verdict.STABLE_DESPITE_CHANGES:
        return f"output unchanged although {len(causes)} factor(s) changed, e.g. {top.evidence[0]}"
    return f"output changed; likeliest cause ({top.category}): {top.evidence[0]}"


def _notes(diff: RecordDiff, verdict: Verdict, requests: list[Change]) -> tuple[str, ...]:
    notes = []
    if diff.unknown:
        names = sorted({c.path.removeprefix("snapshot.") for c in diff.unknown})
        notes.append(f"{len(names)} fact(s) could not be compared (unknown): {', '.join(names)}")
    if verdict is Verdict.DRIFT_UNEXPLAINED:
        seeds = [lookup(r, ("snapshot", "execution", "seeds")) for r in (diff.a, diff.b)]
        unset = all(not isinstance(s, Mapping) or all(v is None for v in s.values()) for s in seeds)
        if unset:
            notes.append("the execution set no random seeds; replay it to confirm")
    return tuple(notes)


__all__ = [
    "Cause",
    "Explanation",
    "Verdict",
    "explain",
    "integrity_failure",
    "order_causes",
    "rank_causes",
    "with_causes",
]
