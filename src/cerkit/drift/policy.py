"""What a project knows about its outputs, applied to drift verdicts (docs/drift.md §4b, §4c).

Two kinds of knowledge turn an output change that :func:`~cerkit.drift.attribution.explain`
calls drift into something a gate need not fail on:

* **tolerances** (``[tool.cerkit.drift]`` and ``[[tool.cerkit.drift.tolerance]]``, or
  ``--rtol/--atol/--text``): an output within them is ``WITHIN_TOLERANCE``; the diff still
  holds the exact difference and the summary names the largest one;
* **known nondeterminism**: a key the configuration declares in ``nondeterministic``, or whose
  replays (``meta.replay``, same factors) disagree, turns ``DRIFT_UNEXPLAINED`` into
  ``NONDETERMINISTIC``.

:func:`replay_evidence` reads the replays; :func:`judge` re-decides one explanation;
:func:`apply` re-decides a whole timeline. Pure: records in, values out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from cerkit.config import DriftConfig
from cerkit.drift.attribution import Explanation, Verdict, explain
from cerkit.drift.diff import lookup
from cerkit.drift.timeline import Timeline
from cerkit.drift.tolerance import compare, describe, is_exact, output_of

#: A replay row: ``(certificateHash, executionKey, createdAt, outputHash, replayOf)``.
ReplayRow = tuple[str, str, str, str, str]
Loader = Callable[[str], Mapping[str, Any]]
#: The replay purpose of ``cerkit replay``: the same call under the same conditions. Re-runs
#: of a confirmation flip a factor on purpose, so their outputs say nothing about noise.
SAME_CONDITIONS: Final[str] = "replay"
_JUDGED: Final[frozenset[Verdict]] = frozenset((Verdict.DRIFT_EXPLAINED, Verdict.DRIFT_UNEXPLAINED))


def replay_evidence(rows: Iterable[ReplayRow], load: Loader) -> dict[str, str]:
    """The execution keys whose replays show nondeterminism, each with the evidence.

    The replays of one original under the same conditions (purpose ``replay``) show it when
    they produced more than one output, or when their one output differs from the
    original's while every recorded factor is equal (``DRIFT_UNEXPLAINED`` against it), as
    ``cerkit replay`` labels them (docs/drift.md §5).
    """
    by_original: dict[tuple[str, str], dict[str, str]] = {}
    for cert, key, _time, output, of in rows:
        purpose = lookup(load(cert), ("meta", "replay", "purpose"))
        if purpose == SAME_CONDITIONS:
            by_original.setdefault((key, of), {})[output] = cert
    found: dict[str, str] = {}
    for (key, of), outputs in by_original.items():
        if key in found:
            continue
        if len(outputs) > 1:
            found[key] = f"{len(outputs)} distinct outputs in the replays of {of[:19]}…"
            continue
        replay = next(iter(outputs.values()))
        try:
            original = load(of)
        except Exception:  # the original is not among the records read: no comparison
            continue
        if explain(original, load(replay)).verdict is Verdict.DRIFT_UNEXPLAINED:
            found[key] = f"a replay of {of[:19]}… changed its output with every factor equal"
    return found


def _entry_point(bundle: Mapping[str, Any]) -> str | None:
    entry = lookup(bundle, ("snapshot", "execution", "entryPoint"))
    return entry if isinstance(entry, str) and entry else None


def judge(
    explanation: Explanation, config: DriftConfig, varies: Mapping[str, str] | None = None
) -> Explanation:
    """``explanation`` re-decided with the project's tolerances and known nondeterminism.

    Only drift verdicts change: within the key's tolerance, ``WITHIN_TOLERANCE``; else, for
    an unexplained change of a key that is known to vary (declared, or in ``varies``, see
    :func:`replay_evidence`), ``NONDETERMINISTIC``. Everything else is returned unchanged,
    with a note when a tolerance was tried and did not hold.
    """
    if explanation.verdict not in _JUDGED:
        return explanation
    a, b = explanation.diff.a, explanation.diff.b
    key, entry = explanation.key_b, _entry_point(b) or _entry_point(a)
    tolerance = config.tolerance_for(key, entry)
    notes = explanation.notes
    if not is_exact(tolerance):
        closeness = compare(output_of(a), output_of(b), tolerance)
        if closeness.within:
            return dataclasses.replace(
                explanation,
                verdict=Verdict.WITHIN_TOLERANCE,
                summary=f"output changed within tolerance: {closeness.reason}",
                notes=(*notes, f"tolerance {tolerance.match!r}: {describe(tolerance)}"),
            )
        notes = (*notes, f"outside tolerance ({describe(tolerance)}): {closeness.reason}")
    why = (varies or {}).get(key)
    if why is None and config.declared_nondeterministic(key, entry):
        why = "declared nondeterministic in the configuration"
    if explanation.verdict is Verdict.DRIFT_UNEXPLAINED and why is not None:
        return dataclasses.replace(
            explanation,
            verdict=Verdict.NONDETERMINISTIC,
            summary=f"same inputs, output changed, every recorded factor equal: known "
            f"nondeterminism ({why})",
            notes=notes,
        )
    return dataclasses.replace(explanation, notes=notes)


def apply(
    timeline: Timeline, config: DriftConfig, varies: Mapping[str, str] | None = None
) -> Timeline:
    """``timeline`` with every change point and baseline comparison :func:`judge`\\ d."""

    def one(explanation: Explanation | None) -> Explanation | None:
        return judge(explanation, config, varies) if explanation is not None else None

    groups = tuple(
        dataclasses.replace(
            group,
            change_points=tuple(
                dataclasses.replace(p, explanation=one(p.explanation)) for p in group.change_points
            ),
        )
        for group in timeline.groups
    )
    baseline = tuple(judge(e, config, varies) for e in timeline.baseline)
    return dataclasses.replace(timeline, groups=groups, baseline=baseline)


__all__ = ["ReplayRow", "apply", "judge", "replay_evidence"]
