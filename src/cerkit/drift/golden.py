"""Golden records: comparing the calls of a run with the records they should reproduce.

A golden record is an ordinary sealed record kept in a folder (``cerkit verify`` accepts it);
docs/drift.md §9 says how to make one. :func:`compare_golden` pairs the records of a new run
with the golden ones and explains each pair with the drift engine (:func:`explain`): records
pair by execution key, in call order within a key; what is left pairs by position (a
different request: its explanation names what differs), and the rest is a missing or an
extra call. A pair passes when its verdict is in :data:`PASSING`. Pure: values in, values out
(reading and writing golden folders is :mod:`cerkit.drift.sources`).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cerkit._text import counted
from cerkit.drift.attribution import Explanation, Verdict, explain
from cerkit.drift.render import explanation_text
from cerkit.execution_key import execution_key

#: Verdicts that reproduce the golden record: the same output (even though some recorded
#: factor moved: the run is stable despite it), or one within the configured tolerance.
PASSING: Final[frozenset[str]] = frozenset(
    map(str, (Verdict.IDENTICAL, Verdict.STABLE_DESPITE_CHANGES, Verdict.WITHIN_TOLERANCE))
)


def call_name(bundle: Mapping[str, Any]) -> str:
    """What a record calls its execution: the entry point, else the model it names."""
    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    execution = snapshot.get("execution")
    entry = execution.get("entryPoint") if isinstance(execution, Mapping) else None
    return str(entry or snapshot.get("model") or "?")


@dataclass(frozen=True, slots=True)
class GoldenPair:
    """One call of the new run against its golden record (either side may be missing)."""

    golden: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    explanation: Explanation | None

    @property
    def verdict(self) -> str:
        if self.explanation is not None:
            return str(self.explanation.verdict)
        return "MISSING_CALL" if self.new is None else "EXTRA_CALL"

    @property
    def passed(self) -> bool:
        return self.verdict in PASSING

    @property
    def name(self) -> str:
        side = self.new if self.new is not None else self.golden
        return call_name(side) if side is not None else "?"

    def text(self) -> str:
        """This pair's verdict, summary and ranked causes, for a failure message."""
        if self.explanation is not None:
            return explanation_text(self.explanation, details=False)
        if self.new is None:
            return "MISSING_CALL: the golden record has a call this run did not make"
        return "EXTRA_CALL: this run made a call no golden record has"

    def to_json(self) -> dict[str, Any]:
        return {
            "call": self.name,
            "verdict": self.verdict,
            "passed": self.passed,
            "golden": self.golden.get("certificateHash") if self.golden is not None else None,
            "new": self.new.get("certificateHash") if self.new is not None else None,
            "explanation": self.explanation.to_json() if self.explanation else None,
        }


@dataclass(frozen=True, slots=True)
class GoldenComparison:
    """Every call of a run against the golden records, in the run's call order."""

    pairs: tuple[GoldenPair, ...]

    @property
    def failures(self) -> tuple[GoldenPair, ...]:
        return tuple(p for p in self.pairs if not p.passed)

    @property
    def passed(self) -> bool:
        return not self.failures

    def text(self) -> str:
        """The failure message: how many calls differ, then each failing pair."""
        failing = len(self.failures)
        lines = [
            f"{failing} of {counted(len(self.pairs), 'recorded call')} "
            f"{'differs' if failing == 1 else 'differ'} from the golden records"
        ]
        for index, pair in enumerate(self.pairs, start=1):
            if pair.passed:
                continue
            body = pair.text().splitlines()
            lines.append(f"call {index} {pair.name}: {body[0]}")
            lines.extend(f"  {line}" for line in body[1:])
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {"passed": self.passed, "pairs": [p.to_json() for p in self.pairs]}


def compare_golden(
    golden: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> GoldenComparison:
    """Pair the records of a run with the golden records and explain each pair.

    Args:
        golden: the golden records, in the order they were recorded.
        new: the run's records, in call order.

    Returns:
        A :class:`GoldenComparison`; ``.passed`` when every call reproduced its golden record.
    """
    waiting: dict[str, deque[int]] = defaultdict(deque)
    for index, record in enumerate(golden):
        waiting[execution_key(record)].append(index)
    matched: dict[int, int] = {}  # new index -> golden index
    for index, record in enumerate(new):
        queue = waiting.get(execution_key(record))
        if queue:
            matched[index] = queue.popleft()
    used = set(matched.values())
    spare = deque(i for i in range(len(golden)) if i not in used)
    pairs = []
    for index, record in enumerate(new):
        if index not in matched and spare:
            matched[index] = spare.popleft()  # a different request: the diff says what
        partner = golden[matched[index]] if index in matched else None
        pairs.append(_pair(partner, record))
    pairs.extend(_pair(golden[i], None) for i in spare)
    return GoldenComparison(tuple(pairs))


def _pair(golden: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> GoldenPair:
    explanation = explain(golden, new) if golden is not None and new is not None else None
    return GoldenPair(golden, new, explanation)


__all__ = ["PASSING", "GoldenComparison", "GoldenPair", "call_name", "compare_golden"]
