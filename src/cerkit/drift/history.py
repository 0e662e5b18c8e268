"""Evidence from history: what a ledger says about each candidate cause (docs/drift.md §3b).

One comparison of two records cannot tell two plausible causes apart; the records of the
same execution key before them often can. Each **observation** is a pair of records of one
key and the set of candidate subjects (``(category, subject)``) that changed between them,
with whether the output moved:

* a **quiet** observation compares the first and the last record of a run of equal output:
  whatever changed there changed *without moving the output*;
* a **loud** observation is a change point (the last record before an output change and
  the first after it).

:func:`weigh` re-scores the causes of one explanation with them: a cause that also changed
in a quiet stretch is halved (it demonstrably did not move the output on its own before),
a cause that changed at every one of two or more output changes gains
:data:`~cerkit.drift.rules.HISTORY_EVERY_BONUS`. Both say so in the cause's evidence, and the
explanation's ``evidence_used`` names the history it read. Pure: records in, values out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cerkit.drift.attribution import Cause, Explanation, rank_causes, with_causes
from cerkit.drift.diff import diff_records, lookup
from cerkit.drift.rules import HISTORY_EVERY_BONUS, HISTORY_QUIET_FACTOR

Subject = tuple[str, str]
Loader = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Observation:
    """Two records of one key: what changed between them and whether the output moved."""

    before: str
    after: str
    subjects: frozenset[Subject]
    moved: bool


@dataclass(frozen=True, slots=True)
class History:
    """The observations over one execution key's records."""

    observations: tuple[Observation, ...]
    records: int

    @property
    def loud(self) -> int:
        return sum(1 for o in self.observations if o.moved)

    @property
    def quiet(self) -> int:
        return sum(1 for o in self.observations if not o.moved)

    def describe(self) -> str:
        return (
            f"history: {self.loud} output change(s) and {self.quiet} stable stretch(es) "
            f"over {self.records} record(s) of this execution key"
        )


def observe(a: Mapping[str, Any], b: Mapping[str, Any]) -> Observation:
    """The observation of two records of the same key."""
    moved = lookup(a, ("snapshot", "outputHash")) != lookup(b, ("snapshot", "outputHash"))
    subjects = frozenset((c.category, c.subject) for c in rank_causes(diff_records(a, b)))
    return Observation(_cert(a), _cert(b), subjects, moved)


def _cert(bundle: Mapping[str, Any]) -> str:
    return str(bundle.get("certificateHash", ""))


def from_runs(
    runs: Iterable[tuple[str, str, int]],
    load: Loader,
    points: Iterable[tuple[str, str, Explanation | None]] = (),
) -> History:
    """The history of one group from its runs of equal output and its change points.

    Args:
        runs: ``(first, last, count)`` certificate hashes of each run, in time order.
        load: the bundle of a certificate hash.
        points: ``(before, after, explanation)`` of each change point; an explanation
            already computed saves a diff, ``None`` makes one.
    """
    observations = []
    records = 0
    for first, last, count in runs:
        records += count
        if count > 1 and first != last:
            observations.append(observe(load(first), load(last)))
    for before, after, explanation in points:
        if explanation is None:
            observations.append(observe(load(before), load(after)))
            continue
        subjects = frozenset((c.category, c.subject) for c in explanation.causes)
        observations.append(Observation(before, after, subjects, True))
    return History(tuple(observations), records)


def weigh(explanation: Explanation, history: History | None) -> Explanation:
    """``explanation`` with its causes re-scored by ``history`` (see the module docstring).

    The compared pair itself counts as one output change when it moved the output and is
    not already an observation of the history. Without history (or without causes) the
    explanation is returned unchanged.
    """
    if history is None or not history.observations or not explanation.causes:
        return explanation
    pair = (_cert(explanation.diff.a), _cert(explanation.diff.b))
    observations: list[Observation] = list(history.observations)
    output_moved = explanation.is_drift
    if output_moved and all((o.before, o.after) != pair for o in observations):
        subjects = frozenset((c.category, c.subject) for c in explanation.causes)
        observations.append(Observation(*pair, subjects, True))
    causes = [_reweigh(cause, observations) for cause in explanation.causes]
    return with_causes(explanation, causes, history.describe())


def _reweigh(cause: Cause, observations: Sequence[Observation]) -> Cause:
    subject = (cause.category, cause.subject)
    loud = [o for o in observations if o.moved]
    quiet = sum(1 for o in observations if not o.moved and subject in o.subjects)
    with_output = sum(1 for o in loud if subject in o.subjects)
    score, notes = cause.score, []
    if quiet:
        score = int(score * HISTORY_QUIET_FACTOR)
        notes.append(f"history: also changed in {quiet} stretch(es) without moving the output")
    elif len(loud) >= 2 and with_output == len(loud):
        score = min(100, score + HISTORY_EVERY_BONUS)
        notes.append(f"history: changed at each of the {len(loud)} output changes")
    elif len(loud) >= 2:
        notes.append(f"history: changed at {with_output} of the {len(loud)} output changes")
    if not notes:
        return cause
    return dataclasses.replace(cause, score=score, evidence=(*cause.evidence, *notes))


__all__ = ["History", "Observation", "from_runs", "observe", "weigh"]
