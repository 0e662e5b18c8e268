"""Is a project bundle complete? Removed, added and reordered steps (docs/spec.md §2.4).

The evidence, each piece independent of the others so that a bundle whose ``projectHash``
was recomputed after the change is still caught:

* the declared ``totalSteps`` against the registered steps;
* the declared ``finalStepHash`` (cerkit's bundles) against the last step;
* each step's ``prevStepHash``: a link to a step the bundle does not hold means a step was
  removed; links that form one path in another order than ``sequence`` mean a reorder;
* each step's ``stepIndex``: a gap means a removal, a repeat an addition, a permutation a
  reorder;
* each step's ``runId``: a step of another run was added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cerkit._text import counted
from cerkit.errors import Reason
from cerkit.verify.report import Layer, Report, Status

_L = Layer.INTEGRITY


def _snapshot(embedded: Mapping[str, Any], step: Mapping[str, Any]) -> Mapping[str, Any]:
    cer = embedded.get(step["stepId"])
    snapshot = cer.get("snapshot") if isinstance(cer, Mapping) else None
    return snapshot if isinstance(snapshot, Mapping) else {}


def check_completeness(
    bundle: Mapping[str, Any],
    steps: list[Mapping[str, Any]],
    embedded: Mapping[str, Any],
    report: Report,
) -> bool:
    """Add the completeness checks to ``report``; True when a step was found removed,
    added or reordered (``steps`` are the registry entries in ``sequence`` order)."""
    snapshots = [_snapshot(embedded, step) for step in steps]
    findings: dict[Reason, list[str]] = {}
    own = _foreign_steps(bundle, steps, snapshots, findings)
    mine = [i for i in range(len(steps)) if i not in own]
    _counts(bundle, steps, findings)
    _links(steps, snapshots, mine, findings)
    _indices(steps, snapshots, mine, findings)
    _final(bundle, steps, snapshots, mine, findings)
    if not findings:
        report.add(_L, "step_completeness", Status.PASS, Reason.OK, counted(len(steps), "step"))
        return False
    for reason, messages in findings.items():
        report.add(_L, "step_completeness", Status.FAIL, reason, "; ".join(messages))
    return True


def _note(findings: dict[Reason, list[str]], reason: Reason, message: str) -> None:
    findings.setdefault(reason, []).append(message)


def _foreign_steps(
    bundle: Mapping[str, Any],
    steps: list[Mapping[str, Any]],
    snapshots: list[Mapping[str, Any]],
    findings: dict[Reason, list[str]],
) -> set[int]:
    run = bundle.get("runId")
    if not isinstance(run, str):
        runs = [s.get("runId") for s in snapshots if isinstance(s.get("runId"), str)]
        run = max(set(runs), key=runs.count) if runs else None
    foreign = set()
    for i, snapshot in enumerate(snapshots):
        other = snapshot.get("runId")
        if run is not None and isinstance(other, str) and other != run:
            foreign.add(i)
            _note(findings, Reason.STEP_ADDED, f"step {steps[i]['sequence']} is of run {other}")
    return foreign


def _counts(
    bundle: Mapping[str, Any], steps: list[Mapping[str, Any]], findings: dict[Reason, list[str]]
) -> None:
    declared = bundle.get("totalSteps")
    if type(declared) is not int or declared == len(steps):
        return
    reason = Reason.STEP_REMOVED if declared > len(steps) else Reason.STEP_ADDED
    _note(
        findings, reason, f"the bundle declares {counted(declared, 'step')} and holds {len(steps)}"
    )


def _links(
    steps: list[Mapping[str, Any]],
    snapshots: list[Mapping[str, Any]],
    mine: list[int],
    findings: dict[Reason, list[str]],
) -> None:
    hashes = {steps[i]["certificateHash"] for i in mine}
    for i in mine:
        link = snapshots[i].get("prevStepHash")
        if isinstance(link, str) and link not in hashes:
            _note(
                findings,
                Reason.STEP_REMOVED,
                f"step {steps[i]['sequence']} follows {link}, which the bundle does not hold",
            )
    path = _path(steps, snapshots, mine)
    if path is not None and path != mine:
        order = ", ".join(str(steps[i]["sequence"]) for i in path)
        _note(findings, Reason.STEP_REORDERED, f"the steps chain in the order {order}")


def _path(
    steps: list[Mapping[str, Any]], snapshots: list[Mapping[str, Any]], mine: list[int]
) -> list[int] | None:
    """The steps in ``prevStepHash`` order when the links form one path over all of them."""
    after: dict[Any, int] = {}
    for i in mine:
        link = snapshots[i].get("prevStepHash")
        if link in after:
            return None  # two steps follow one: not a single path
        after[link] = i
    path: list[int] = []
    current = after.get(None)
    while current is not None and len(path) < len(mine):
        path.append(current)
        current = after.get(steps[current]["certificateHash"])
    return path if len(path) == len(mine) else None


def _indices(
    steps: list[Mapping[str, Any]],
    snapshots: list[Mapping[str, Any]],
    mine: list[int],
    findings: dict[Reason, list[str]],
) -> None:
    values = [snapshots[i].get("stepIndex") for i in mine]
    indices = [i for i in values if type(i) is int]
    if not indices or len(indices) != len(values):
        return
    if len(set(indices)) != len(indices):
        _note(findings, Reason.STEP_ADDED, f"stepIndex values repeat: {indices}")
        return
    expected = list(range(min(indices), min(indices) + len(indices)))
    if sorted(indices) != expected or min(indices) != 0:
        missing = sorted(set(range(max(indices) + 1)) - set(indices))
        _note(findings, Reason.STEP_REMOVED, f"no step has stepIndex {missing}")
    elif indices != expected and Reason.STEP_REORDERED not in findings:
        _note(findings, Reason.STEP_REORDERED, f"stepIndex values in sequence order: {indices}")


def _final(
    bundle: Mapping[str, Any],
    steps: list[Mapping[str, Any]],
    snapshots: list[Mapping[str, Any]],
    mine: list[int],
    findings: dict[Reason, list[str]],
) -> None:
    final = bundle.get("finalStepHash")
    hashes = [steps[i]["certificateHash"] for i in mine]
    if not isinstance(final, str) or not hashes or hashes[-1] == final:
        return
    if final not in hashes:
        _note(findings, Reason.STEP_REMOVED, f"the final step {final} is not in the bundle")
        return
    path = _path(steps, snapshots, mine)
    if path is not None and steps[path[-1]]["certificateHash"] == final:
        if Reason.STEP_REORDERED not in findings:
            _note(findings, Reason.STEP_REORDERED, "the final step is not the last in sequence")
        return
    after = len(hashes) - 1 - hashes.index(final)
    if after:
        _note(findings, Reason.STEP_ADDED, f"{after} steps follow the declared final step")
