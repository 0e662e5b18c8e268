"""Drift over a ledger: group records by execution key, find output change points, explain them.

The pass is built for large ledgers. It reads one compact row per record (certificate hash,
execution key, time, outputHash), keeps per group only the runs of equal output (a run-length
encoding of the output over time), and loads full records only at change points, where
:func:`cerkit.drift.attribution.explain` compares the last record before the change with the
first one after it. So the cost is O(n) on the rows plus one diff per change point.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from cerkit.drift.attribution import Explanation, explain
from cerkit.drift.history import History, from_runs, weigh
from cerkit.execution_key import execution_key

#: Change points explained per group; beyond it a flapping group (nondeterminism) is
#: counted, not explained again and again: its first explanations already say why.
MAX_EXPLAINED_PER_GROUP: Final[int] = 50
#: Stable groups (no change point) given a label, a plot and a line of their own; a ledger
#: of unique calls has as many groups as records, and those are summarized in one count.
MAX_SHOWN_STABLE: Final[int] = 50

Loader = Callable[[str], Mapping[str, Any]]


class Row(NamedTuple):
    """The compact per-record facts the timeline pass reads."""

    certificate_hash: str
    key: str
    time: str
    output_hash: str


def row_of(bundle: Mapping[str, Any]) -> Row:
    """The :class:`Row` of one bundle: time is ``createdAt``, else ``snapshot.timestamp``."""
    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    time = bundle.get("createdAt") or snapshot.get("timestamp") or ""
    return Row(
        str(bundle.get("certificateHash", "")),
        execution_key(bundle),
        str(time),
        str(snapshot.get("outputHash", "")),
    )


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive records of a group with the same output."""

    start: str
    end: str
    variant: int  # index of the distinct output, in order of first appearance
    count: int
    first: str  # certificate hash of its first record
    last: str


@dataclass(frozen=True, slots=True)
class ChangePoint:
    """The output of a group changed between two consecutive records."""

    time: str
    before: str
    after: str
    explanation: Explanation | None  # None past MAX_EXPLAINED_PER_GROUP

    @property
    def verdict(self) -> str:
        return str(self.explanation.verdict) if self.explanation else "NOT_EXPLAINED"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"time": self.time, "before": self.before, "after": self.after}
        out["verdict"] = self.verdict
        if self.explanation is not None:
            out["summary"] = self.explanation.summary
            out["causes"] = [c.to_json() for c in self.explanation.causes[:5]]
            out["notes"] = list(self.explanation.notes)
        return out


@dataclass(frozen=True, slots=True)
class Group:
    """All records of one execution key, as runs of equal output over time."""

    key: str
    label: str  # the entry point or model; "" for stable groups past MAX_SHOWN_STABLE
    count: int
    runs: tuple[Run, ...]
    change_points: tuple[ChangePoint, ...]
    history: History | None = None  # the evidence the change points were weighed with

    @property
    def distinct_outputs(self) -> int:
        return 1 + max(r.variant for r in self.runs)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "count": self.count,
            "first": self.runs[0].start,
            "last": self.runs[-1].end,
            "distinctOutputs": self.distinct_outputs,
            "runs": [
                {"start": r.start, "end": r.end, "variant": r.variant, "count": r.count}
                for r in self.runs
            ],
            "changePoints": [c.to_json() for c in self.change_points],
        }


@dataclass(frozen=True, slots=True)
class Timeline:
    """The drift analysis of a ledger."""

    groups: tuple[Group, ...]
    records: int
    baseline: tuple[Explanation, ...] = field(default_factory=tuple)

    def change_points(self) -> list[ChangePoint]:
        return [c for g in self.groups for c in g.change_points]

    def verdicts(self) -> dict[str, int]:
        """How many change points and baseline comparisons got each verdict."""
        counts: dict[str, int] = {}
        names = [c.verdict for c in self.change_points()]
        names += [str(e.verdict) for e in self.baseline]
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        return counts

    def _repr_html_(self) -> str:
        """How a notebook shows it: the drift report's body (plots, tables), escaped."""
        from cerkit.drift.html import timeline_html

        return timeline_html(self)

    def to_json(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "groups": len(self.groups),
            "changePoints": len(self.change_points()),
            "verdicts": self.verdicts(),
            "timeline": [g.to_json() for g in self.groups],
            "baseline": [e.to_json() for e in self.baseline],
        }


class _Acc:
    """Mutable per-group state of the pass: the closed runs and the open one."""

    __slots__ = ("count", "first", "key", "last", "out", "runs", "start", "t", "variants")

    def __init__(self, key: str, cert: str, time: str, out: str) -> None:
        self.key = key
        self.runs: list[tuple[str, str, int, int, str, str]] = []
        self.variants: dict[str, int] = {out: 0}
        self.out, self.start, self.first, self.count = out, time, cert, 1
        self.t, self.last = time, cert

    def close(self) -> None:
        run = (self.start, self.t, self.variants[self.out], self.count, self.first, self.last)
        self.runs.append(run)


def scan(rows: list[Row] | list[tuple[str, str, str, str]]) -> list[_Acc]:
    """The O(n) pass: run-length encode each group's output over time.

    Each key's rows should come in time order (stores give them so, keys one after the
    other or interleaved); a row older than the one before it of its key makes the pass
    sort by time and start again.
    """
    groups: dict[str, _Acc] = {}
    ordered = True
    for cert, key, time, out in rows:
        acc = groups.get(key)
        if acc is None:
            groups[key] = _Acc(key, cert, time, out)
            continue
        if time < acc.t:
            ordered = False
        if out == acc.out:
            acc.count += 1
            acc.t, acc.last = time, cert
        else:
            acc.close()
            acc.variants.setdefault(out, len(acc.variants))
            acc.out, acc.start, acc.first, acc.count = out, time, cert, 1
            acc.t, acc.last = time, cert
    if not ordered:
        return scan(sorted(rows, key=lambda r: r[2]))
    for acc in groups.values():
        acc.close()
    return list(groups.values())


def analyze(
    rows: Iterable[tuple[str, str, str, str]],
    load: Loader,
    *,
    baseline: Iterable[Mapping[str, Any]] = (),
    watch: Callable[[list[Any], int], Iterable[Any]] | None = None,
) -> Timeline:
    """Group, find change points, explain each, and compare with golden records.

    Args:
        rows: ``(certificateHash, executionKey, time, outputHash)`` per record, each key's
            best in time order (see :func:`row_of` and ``RecordStore.index_rows``).
        load: returns the full bundle of a certificate hash; called only at change points,
            once per group for its label, and for baseline mismatches.
        baseline: golden bundles; every record whose key has a golden record and whose
            output differs from it is explained against the golden one (once per distinct
            output).
        watch: wraps the per-group loop (given the group count), e.g. in a progress bar.

    Returns:
        The :class:`Timeline`, groups ordered by their first record.

    >>> from cerkit.seal import seal_args
    >>> r = seal_args({"executionId": "e", "provider": "python", "model": "m:f",
    ...     "prompt": "m:f", "input": 1, "output": 2, "timestamp": "t",
    ...     "parameters": {"temperature": 0, "maxTokens": 0}}, created_at="t")
    >>> analyze([row_of(r)], {r["certificateHash"]: r}.__getitem__).records
    1
    """
    table: list[tuple[str, str, str, str]] = list(rows)
    cache: dict[str, Mapping[str, Any]] = {}

    def cached(cert: str) -> Mapping[str, Any]:
        if cert not in cache:
            if len(cache) > 4096:  # change points of one ledger rarely share records
                cache.clear()
            cache[cert] = load(cert)
        return cache[cert]

    accs = scan(table)
    accs.sort(key=lambda a: (a.runs[0][0], a.key))
    stable = 0
    groups = []
    for acc in watch(accs, len(accs)) if watch else accs:
        shown = len(acc.runs) > 1 or stable < MAX_SHOWN_STABLE
        stable += len(acc.runs) == 1
        groups.append(_group(acc, cached, labelled=shown))
    golden = list(baseline)
    return Timeline(tuple(groups), len(table), _against(golden, table, cached) if golden else ())


def _group(acc: _Acc, load: Loader, *, labelled: bool) -> Group:
    runs = tuple(Run(*run) for run in acc.runs)
    points = []
    for index in range(1, len(runs)):
        before, after = runs[index - 1], runs[index]
        explanation = None
        if index <= MAX_EXPLAINED_PER_GROUP:
            explanation = explain(load(before.last), load(after.first))
        points.append(ChangePoint(after.start, before.last, after.first, explanation))
    history = None
    if points:  # evidence from history: the group's stable stretches and change points
        history = group_history(runs[: MAX_EXPLAINED_PER_GROUP + 1], points, load)
        points = [
            dataclasses.replace(p, explanation=weigh(p.explanation, history))
            if p.explanation is not None
            else p
            for p in points
        ]
    label = group_label(load(runs[0].first)) if labelled else ""
    return Group(acc.key, label, sum(r.count for r in runs), runs, tuple(points), history)


def group_history(runs: Sequence[Run], points: Sequence[ChangePoint], load: Loader) -> History:
    """The :class:`~cerkit.drift.history.History` of a group: each run's first and last
    record (a stable stretch) and each explained change point."""
    return from_runs(
        ((r.first, r.last, r.count) for r in runs),
        load,
        ((p.before, p.after, p.explanation) for p in points if p.explanation is not None),
    )


def group_label(bundle: Mapping[str, Any]) -> str:
    """What a group is called: the record's entry point, else its model or prompt."""
    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    execution = snapshot.get("execution")
    if isinstance(execution, Mapping) and isinstance(execution.get("entryPoint"), str):
        return str(execution["entryPoint"])
    return str(snapshot.get("model") or snapshot.get("prompt") or "?")


def _against(
    golden: list[Mapping[str, Any]], rows: list[tuple[str, str, str, str]], load: Loader
) -> tuple[Explanation, ...]:
    by_key: dict[str, Mapping[str, Any]] = {}
    for bundle in sorted(golden, key=lambda b: str(b.get("createdAt", ""))):
        by_key[execution_key(bundle)] = bundle  # the latest golden record of a key wins
    expected = {key: row_of(b).output_hash for key, b in by_key.items()}
    seen: set[tuple[str, str]] = set()
    found = []
    for cert, key, _time, out in rows:
        want = expected.get(key)
        if want is None or want == out or (key, out) in seen:
            continue
        seen.add((key, out))
        found.append(explain(by_key[key], load(cert)))
    return tuple(found)
