"""Confirmation by re-execution: test each candidate cause by flipping it alone.

The steps (docs/drift.md §5b), numbered as in the code:

1. **Reproduce.** Re-run the execution under the newer record's recorded conditions (its
   allowlisted variables and interpreter flags, :func:`cerkit.drift.factors.conditions`);
   when that does not give B's output, under A's. The record whose output comes back is the
   **base**; when neither does, nothing can be tested (nondeterminism, or a factor that
   differs from both records).
2. **Plan.** :func:`cerkit.drift.factors.plan` gives each ranked cause the setting that
   flips it alone to the *other* record's value, or the reason it cannot be tested.
3. **Flip.** One re-run per testable candidate, likeliest first, within the time budget:
   ``CONFIRMED`` when it gives the other record's output, ``REFUTED`` when it does not,
   ``NOT_TESTABLE`` with the reason otherwise.

The runs themselves go through an injected :data:`Runner` (the process edge is
:mod:`cerkit.drift.relaunch`); this module decides which runs and what they prove.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Protocol

from cerkit.drift.attribution import Explanation
from cerkit.drift.diff import lookup
from cerkit.drift.factors import Candidate, Setting, conditions, plan
from cerkit.errors import CerkitError, UsageError

#: Verdicts of a comparison that confirmation can work on: the output moved, inputs equal.
_DRIFT: Final[frozenset[str]] = frozenset(("DRIFT_EXPLAINED", "DRIFT_UNEXPLAINED"))


class Outcome(StrEnum):
    """How one candidate ended."""

    CONFIRMED = "CONFIRMED"
    REFUTED = "REFUTED"
    NOT_TESTABLE = "NOT_TESTABLE"


class NotRunnable(CerkitError):
    """The edge cannot realise a setting (a package version not installable, a file version
    git does not hold): the candidate is NOT_TESTABLE for that reason."""


class BudgetExhausted(Exception):
    """The time budget ran out before the next run."""


@dataclass(frozen=True, slots=True)
class Run:
    """One re-run to make: why, and under which setting."""

    purpose: str
    setting: Setting


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one re-run gave: its output and its (replay) record."""

    output_hash: str
    record: Mapping[str, Any]
    seconds: float


class Runner(Protocol):
    def __call__(self, run: Run) -> RunResult: ...


#: Called after each run with (runs so far, runs planned, what the last run was for).
Watch = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class Trial:
    """A re-run that happened, and which record's output it gave (``A``, ``B`` or ``-``)."""

    purpose: str
    setting: Setting
    output_hash: str
    certificate_hash: str
    seconds: float
    matches: str

    def to_json(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "setting": self.setting.to_json(),
            "outputHash": self.output_hash,
            "record": self.certificate_hash,
            "matches": self.matches,
            "seconds": round(self.seconds, 3),
        }


@dataclass(frozen=True, slots=True)
class Tested:
    """A candidate and how it ended; ``trials`` index the runs that decided it."""

    candidate: Candidate
    outcome: Outcome
    reason: str
    trials: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        c = self.candidate
        return {
            "category": c.category,
            "subject": c.subject,
            "score": c.score,
            "kind": c.kind or None,
            "setting": c.setting.to_json() if c.setting else None,
            "outcome": str(self.outcome),
            "reason": self.reason,
            "trials": list(self.trials),
        }


@dataclass(frozen=True, slots=True)
class Confirmation:
    """The result of a confirmation or a bisection: sealed as a verdict record by
    :func:`cerkit.drift.verdict.seal_verdict`."""

    mode: str  # "confirm" | "bisect"
    a: str
    b: str
    reproduces: str | None  # "A" | "B" | None
    tested: tuple[Tested, ...]
    trials: tuple[Trial, ...]
    seconds: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def confirmed(self) -> tuple[Tested, ...]:
        return tuple(t for t in self.tested if t.outcome is Outcome.CONFIRMED)

    @property
    def reruns(self) -> int:
        return len(self.trials)

    @property
    def verdict(self) -> str:
        if self.reproduces is None:
            return "NOT_REPRODUCED"
        return "CONFIRMED" if self.confirmed else "NOT_CONFIRMED"

    def summary(self) -> str:
        runs = f"{self.reruns} re-run{'s' if self.reruns != 1 else ''}"
        if self.reproduces is None:
            return f"the current environment reproduces neither record ({runs})"
        if not self.confirmed:
            return f"no candidate, flipped alone, reproduces the other output ({runs})"
        names = ", ".join(f"{t.candidate.category} {t.candidate.subject}" for t in self.confirmed)
        return f"confirmed cause: {names} ({runs}; the current environment reproduces " + (
            f"{self.reproduces})"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "verdict": self.verdict,
            "summary": self.summary(),
            "a": self.a,
            "b": self.b,
            "reproduces": self.reproduces,
            "reruns": self.reruns,
            "confirmed": [t.candidate.name for t in self.confirmed],
            "candidates": [t.to_json() for t in self.tested],
            "runs": [t.to_json() for t in self.trials],
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
        }


class Session:
    """The runs of one confirmation: counts them, keeps the budget, names their outputs."""

    def __init__(
        self,
        explanation: Explanation,
        runner: Runner,
        *,
        budget: float | None,
        clock: Callable[[], float],
        watch: Watch | None,
        planned: int,
    ) -> None:
        self.a, self.b = explanation.diff.a, explanation.diff.b
        self.outputs = {_output(self.a): "A", _output(self.b): "B"}
        self.runner, self.budget, self.clock, self.watch = runner, budget, clock, watch
        self.started = clock()
        self.trials: list[Trial] = []
        self.planned = planned
        self.base: Mapping[str, Any] | None = None
        self.base_setting = Setting()

    def run(self, purpose: str, setting: Setting) -> int:
        """Make one run; the index of its :class:`Trial`. Raises :class:`BudgetExhausted`
        before starting when the budget is spent, :class:`NotRunnable` from the edge."""
        if self.budget is not None and self.trials and self.clock() - self.started > self.budget:
            raise BudgetExhausted
        result = self.runner(Run(purpose, setting))
        matches = self.outputs.get(result.output_hash, "-")
        cert = str(result.record.get("certificateHash", ""))
        trial = Trial(purpose, setting, result.output_hash, cert, result.seconds, matches)
        self.trials.append(trial)
        if self.watch is not None:
            self.watch(len(self.trials), max(self.planned, len(self.trials)), purpose)
        return len(self.trials) - 1

    def reproduce(self) -> str | None:
        """(1) Find the record the current environment reproduces: B first, then A."""
        first = conditions(self.b, self.a)
        index = self.run("reproduce B", first)
        if self.trials[index].matches == "B":
            self.base, self.base_setting = self.b, first
            return "B"
        second = conditions(self.a, self.b)
        if second == first:  # the records' conditions agree: that run was A's as well
            matched = self.trials[index].matches == "A"
        else:
            matched = self.trials[self.run("reproduce A", second)].matches == "A"
        if matched:
            self.base, self.base_setting = self.a, second
            return "A"
        return None

    @property
    def other_name(self) -> str:
        return "A" if self.base is self.b else "B"

    def elapsed(self) -> float:
        return self.clock() - self.started


def _output(record: Mapping[str, Any]) -> str:
    return str(lookup(record, ("snapshot", "outputHash")))


def _cert(record: Mapping[str, Any]) -> str:
    return str(record.get("certificateHash", ""))


def require_drift(explanation: Explanation) -> None:
    """Refuse a pair whose outputs agree or whose inputs differ: nothing to confirm."""
    if str(explanation.verdict) not in _DRIFT:
        raise UsageError(
            f"nothing to confirm: the records compare {explanation.verdict} "
            "(confirmation needs the same inputs and different outputs)"
        )


def confirm(
    explanation: Explanation,
    runner: Runner,
    *,
    budget: float | None = None,
    clock: Callable[[], float] = time.monotonic,
    watch: Watch | None = None,
) -> Confirmation:
    """Test each candidate cause of ``explanation`` by re-running with it flipped alone.

    Args:
        explanation: the explanation of records A and B (the same inputs, outputs differ).
        runner: makes one re-run (see :class:`cerkit.drift.relaunch.Relauncher`).
        budget: seconds; no run starts after it is spent (candidates left: NOT_TESTABLE).
        clock: monotonic seconds (injected for tests).
        watch: progress callback.

    Raises:
        UsageError: the records do not show drift.
    """
    require_drift(explanation)
    session = Session(
        explanation, runner, budget=budget, clock=clock, watch=watch,
        planned=2 + len(explanation.causes),
    )  # fmt: skip
    try:
        reproduced = session.reproduce()  # (1)
    except NotRunnable as exc:
        return not_runnable(explanation, "confirm", exc.message)
    if reproduced is None or session.base is None:
        reason = "the current environment reproduces neither record"
        tested = tuple(
            Tested(c, Outcome.NOT_TESTABLE, c.reason or reason)
            for c in plan(explanation, explanation.diff.b)
        )
        return conclude("confirm", session, None, tested, (reason,))
    candidates = plan(explanation, session.base)  # (2)
    session.planned = len(session.trials) + sum(1 for c in candidates if c.testable)
    tested = tuple(_flip(session, c) for c in candidates)  # (3)
    return conclude("confirm", session, reproduced, tested)


def _flip(session: Session, candidate: Candidate) -> Tested:
    if candidate.setting is None:
        return Tested(candidate, Outcome.NOT_TESTABLE, candidate.reason)
    purpose = f"flip {candidate.category} {candidate.subject} to {session.other_name}"
    try:
        index = session.run(purpose, candidate.setting.over(session.base_setting))
    except BudgetExhausted:
        return Tested(candidate, Outcome.NOT_TESTABLE, "the time budget ran out before its run")
    except NotRunnable as exc:
        return Tested(candidate, Outcome.NOT_TESTABLE, exc.message)
    trial = session.trials[index]
    other = session.other_name
    if trial.matches == other:
        return Tested(
            candidate, Outcome.CONFIRMED, f"flipped alone it gives {other}'s output", (index,)
        )
    if trial.matches == "-":
        why = "flipped alone it moves the output, but not to the other record's"
        return Tested(candidate, Outcome.REFUTED, why, (index,))
    return Tested(candidate, Outcome.REFUTED, "flipped alone the output does not move", (index,))


def not_runnable(explanation: Explanation, mode: str, reason: str) -> Confirmation:
    """The result for a pair whose execution cannot be re-run at all: every candidate
    NOT_TESTABLE (with its own reason, else ``reason``), no re-run made."""
    tested = tuple(
        Tested(c, Outcome.NOT_TESTABLE, c.reason or reason)
        for c in plan(explanation, explanation.diff.b)
    )
    a, b = explanation.diff.a, explanation.diff.b
    return Confirmation(mode, _cert(a), _cert(b), None, tested, (), 0.0, (reason,))


def conclude(
    mode: str,
    session: Session,
    reproduced: str | None,
    tested: tuple[Tested, ...],
    notes: tuple[str, ...] = (),
) -> Confirmation:
    return Confirmation(
        mode,
        _cert(session.a),
        _cert(session.b),
        reproduced,
        tested,
        tuple(session.trials),
        session.elapsed(),
        notes,
    )


__all__ = [
    "BudgetExhausted",
    "Confirmation",
    "NotRunnable",
    "Outcome",
    "Run",
    "RunResult",
    "Runner",
    "Session",
    "Tested",
    "Trial",
    "conclude",
    "confirm",
    "not_runnable",
    "require_drift",
]
