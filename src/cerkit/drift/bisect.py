"""Bisection of an environment upgrade: which changed package (or smallest set) flips it.

The changed packages are put in a fixed order ``p1..pN``; ``F(k)`` is the re-run with the
first ``k`` of them set to the other record's versions (in one overlay). ``F(0)`` is the
reproduced base (:mod:`cerkit.drift.confirm` step 1). A binary search finds the smallest
``k`` whose ``F(k)`` gives the other output, so ``F(k-1)`` and ``F(k)`` were both observed
and differ by ``pk`` alone; then ``pk`` is flipped on its own. When that reproduces the other
output, ``pk`` is the culprit; when not, ``pk`` is needed together with some of
``p1..p(k-1)``, and the search repeats over those with ``pk`` always flipped, until the set
found reproduces the other output by itself.

Runs for one culprit among N: one to reproduce, ``⌈log2 N⌉`` for the search, at most one
to flip the culprit alone, so ``⌈log2 N⌉ + 2`` (7 for 32 packages): checked by
``bench/confirm.py``. :func:`smallest_set` is the pure search over any monotone test.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from cerkit.drift.attribution import Explanation
from cerkit.drift.confirm import (
    BudgetExhausted,
    Confirmation,
    NotRunnable,
    Outcome,
    Runner,
    Session,
    Tested,
    Watch,
    conclude,
    not_runnable,
    require_drift,
)
from cerkit.drift.factors import Candidate, Setting, plan
from cerkit.errors import UsageError

T = TypeVar("T")


def _find(
    pool: Sequence[T], required: list[T], test: Callable[[list[T]], bool], *, top_known: bool
) -> tuple[int, bool]:
    """The smallest ``k`` with ``test(required + pool[:k])``, knowing it fails for k = 0
    and assuming it holds for ``len(pool)``; and whether that ``k`` was itself tested."""
    lo, hi, known = 0, len(pool), top_known
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if test(required + list(pool[:mid])):
            hi, known = mid, True
        else:
            lo = mid
    return hi, known


def smallest_set(items: Sequence[T], test: Callable[[list[T]], bool]) -> list[T] | None:
    """A smallest subset (in the order-greedy sense) of ``items`` for which ``test`` holds,
    given that it fails for the empty set; ``None`` when it fails for all of ``items``.

    >>> calls = []
    >>> def flips(subset):
    ...     calls.append(subset)
    ...     return "p6" in subset
    >>> smallest_set([f"p{i}" for i in range(1, 9)], flips), len(calls)
    (['p6'], 4)
    """
    results: dict[frozenset[T], bool] = {}

    def cached(subset: list[T]) -> bool:
        key = frozenset(subset)
        if key not in results:
            results[key] = test(subset)
        return results[key]

    required: list[T] = []
    pool, top_known = list(items), False
    while pool:
        k, known = _find(pool, required, cached, top_known=top_known)
        culprit = pool[k - 1]
        if cached([*required, culprit]):
            return [*required, culprit]
        if not known and not cached(required + pool[:k]):
            return None  # not even every remaining package together reproduces it
        required.append(culprit)
        pool, top_known = pool[: k - 1], True
    return None


def bisect(
    explanation: Explanation,
    runner: Runner,
    *,
    budget: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    watch: Watch | None = None,
) -> Confirmation:
    """Find the changed package (or smallest set) whose versions flip the output.

    Args:
        explanation: A against B (the same inputs, outputs differ).
        runner, budget, clock, watch: as for :func:`cerkit.drift.confirm.confirm`.

    Raises:
        UsageError: the records do not show drift, or no package changed between them.
    """
    require_drift(explanation)
    session = Session(explanation, runner, budget=budget, clock=clock, watch=watch, planned=8)
    try:
        reproduced = session.reproduce()
    except NotRunnable as exc:
        return not_runnable(explanation, "bisect", exc.message)
    if reproduced is None or session.base is None:
        return conclude(
            "bisect", session, None, (), ("the current environment reproduces neither record",)
        )
    packages = [c for c in plan(explanation, session.base) if c.kind == "package"]
    if not packages:
        raise UsageError("no package version changed between the two records")
    session.planned = len(session.trials) + (len(packages) - 1).bit_length() + 1
    other = session.other_name
    flips: dict[frozenset[str], int] = {}

    def test(subset: list[Candidate]) -> bool:
        names = ", ".join(c.subject for c in subset)
        setting = Setting(packages=tuple(sorted(p for c in subset for p in _packages(c))))
        index = session.run(
            f"bisect: {names} at {other}'s versions", setting.over(session.base_setting)
        )
        flips[frozenset(c.subject for c in subset)] = index
        return session.trials[index].matches == other

    notes: tuple[str, ...] = ()
    try:
        found = smallest_set(packages, test)
    except BudgetExhausted:
        found, notes = None, ("the time budget ran out before the bisection ended",)
    except NotRunnable as exc:
        found, notes = None, (f"an overlay could not be built: {exc.message}",)
    if found is None and not notes:
        notes = (f"no set of the {len(packages)} changed packages reproduces {other}'s output",)
    tested = tuple(_outcome(c, found, flips, session) for c in packages)
    return conclude("bisect", session, reproduced, tested, notes)


def _packages(candidate: Candidate) -> tuple[tuple[str, str], ...]:
    return candidate.setting.packages if candidate.setting else ()


def _outcome(
    candidate: Candidate,
    found: list[Candidate] | None,
    flips: dict[frozenset[str], int],
    session: Session,
) -> Tested:
    other = session.other_name
    if found and candidate in found:
        key = frozenset(c.subject for c in found)
        why = (
            f"its version alone gives {other}'s output"
            if len(found) == 1
            else f"needed: the set {sorted(key)} gives {other}'s output, no smaller one found"
        )
        return Tested(candidate, Outcome.CONFIRMED, why, (flips[key],))
    failed = [
        index
        for subset, index in flips.items()
        if candidate.subject in subset and session.trials[index].matches != other
    ]
    if failed:
        why = f"flipped with the packages before it (run {failed[0]}): not {other}'s output"
        return Tested(candidate, Outcome.REFUTED, why, tuple(failed))
    return Tested(
        candidate,
        Outcome.NOT_TESTABLE,
        "not re-run: the bisection isolated the culprit without flipping it",
    )


__all__ = ["bisect", "smallest_set"]
