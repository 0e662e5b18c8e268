"""Drift across the steps of a workflow: two runs aligned step by step (docs/drift.md §8).

Two project bundles (or the step records of two runs) are aligned by ``stepId`` first, then,
for the steps left, by position; each aligned pair is explained like two records
(:func:`cerkit.drift.attribution.explain`). The first step whose output changed is named
with its ranked causes: the later steps consumed its output, so their changes are most
likely its consequences. A step only one run has is reported as added or missing.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cerkit.drift.attribution import Explanation, explain


@dataclass(frozen=True, slots=True)
class StepPair:
    """One aligned step: its record in run a and in run b (``None`` when absent)."""

    position: int
    a: Mapping[str, Any] | None
    b: Mapping[str, Any] | None
    aligned_by: str  # "stepId", "position", or "" when one side is absent
    explanation: Explanation | None

    @property
    def label(self) -> str:
        record = self.b if self.b is not None else self.a
        return step_label(record) if record is not None else "?"

    @property
    def output_changed(self) -> bool:
        if self.a is None or self.b is None:
            return True
        return bool(self.a["snapshot"].get("outputHash") != self.b["snapshot"].get("outputHash"))

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "position": self.position,
            "label": self.label,
            "alignedBy": self.aligned_by,
            "a": self.a.get("certificateHash") if self.a is not None else None,
            "b": self.b.get("certificateHash") if self.b is not None else None,
            "outputChanged": self.output_changed,
        }
        if self.explanation is not None:
            out["verdict"] = str(self.explanation.verdict)
            out["summary"] = self.explanation.summary
        else:
            out["verdict"] = "STEP_ADDED" if self.a is None else "STEP_MISSING"
        return out


@dataclass(frozen=True, slots=True)
class WorkflowDiff:
    """Two runs of a workflow, step by step."""

    pairs: tuple[StepPair, ...]

    @property
    def first_changed(self) -> StepPair | None:
        return next((p for p in self.pairs if p.output_changed), None)

    @property
    def summary(self) -> str:
        first = self.first_changed
        if first is None:
            return f"all {len(self.pairs)} steps have the same output"
        where = f"step {first.position} ({first.label})"
        if first.explanation is None:
            side = "run b" if first.a is None else "run a"
            return f"{where} is only in {side}"
        return f"{where} is the first whose output changed: {first.explanation.summary}"

    def to_json(self) -> dict[str, Any]:
        first = self.first_changed
        out: dict[str, Any] = {
            "kind": "workflow",
            "summary": self.summary,
            "steps": [p.to_json() for p in self.pairs],
            "firstChanged": None,
        }
        if first is not None:
            out["firstChanged"] = first.to_json()
            if first.explanation is not None:
                out["firstChanged"]["causes"] = [c.to_json() for c in first.explanation.causes]
        return out


def step_label(record: Mapping[str, Any]) -> str:
    """A step's name: the node, tool, entry point or model it records."""
    snapshot = record.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    execution = snapshot.get("execution")
    if isinstance(execution, Mapping):
        kind = execution.get("kind")
        for key in ("entryPoint", "name"):
            if isinstance(execution.get(key), str):
                return f"{kind}:{execution[key]}" if key == "name" else str(execution[key])
    return str(snapshot.get("model") or "?")


def bundle_steps(bundle: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The step CERs of a project bundle, in ``sequence`` order."""
    registry = sorted(bundle["stepRegistry"], key=lambda step: step["sequence"])
    embedded = bundle["embeddedBundles"]
    return [embedded[step["stepId"]] for step in registry if step["stepId"] in embedded]


def align(
    a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]
) -> list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, str]]:
    """Pairs of steps: same ``stepId`` first, then the remaining ones by position."""

    def step_id(record: Mapping[str, Any]) -> Any:
        return record["snapshot"].get("stepId")

    ids_b = {step_id(r): j for j, r in enumerate(b) if step_id(r) is not None}
    matched: dict[int, int] = {}
    for i, record in enumerate(a):
        j = ids_b.get(step_id(record))
        if j is not None and j not in matched.values():
            matched[i] = j
    rest_a = [i for i in range(len(a)) if i not in matched]
    rest_b = [j for j in range(len(b)) if j not in matched.values()]
    by_position = dict(zip(rest_a, rest_b, strict=False))
    pairs: list[tuple[Mapping[str, Any] | None, Mapping[str, Any] | None, str]] = []
    used_b: set[int] = set()
    for i, record in enumerate(a):
        if i in matched:
            pairs.append((record, b[matched[i]], "stepId"))
            used_b.add(matched[i])
        elif i in by_position:
            pairs.append((record, b[by_position[i]], "position"))
            used_b.add(by_position[i])
        else:
            pairs.append((record, None, ""))
    pairs.extend((None, b[j], "") for j in range(len(b)) if j not in used_b)
    return pairs


def diff_workflows(a: Sequence[Mapping[str, Any]], b: Sequence[Mapping[str, Any]]) -> WorkflowDiff:
    """Align two runs' steps (each in chain order) and explain every aligned pair."""
    pairs = []
    for position, (x, y, how) in enumerate(align(a, b)):
        explanation = explain(x, y) if x is not None and y is not None else None
        pairs.append(StepPair(position, x, y, how, explanation))
    return WorkflowDiff(tuple(pairs))


#: Change points explained per workflow step group.
MAX_EXPLAINED_PER_STEP = 5


def step_groups(records: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Workflow step records grouped per workflow and step, each group in time order with
    its output changes explained (``cerkit drift``'s ``workflowSteps``).

    A step is named by :func:`step_label` and its occurrence in its run (the second call of
    one model in a run is ``gpt-4o#1``), so the same step of every run lands in one group
    even when its inputs changed because an earlier step's output did."""
    groups: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    seen: dict[tuple[Any, str], int] = {}
    ordered = sorted(records, key=lambda r: (str(r.get("createdAt", "")), _index(r)))
    for record in ordered:
        snapshot = record.get("snapshot")
        if not isinstance(snapshot, Mapping) or not isinstance(snapshot.get("workflowId"), str):
            continue
        label = step_label(record)
        run = (snapshot.get("runId"), label)
        occurrence = seen.get(run, 0)
        seen[run] = occurrence + 1
        groups.setdefault((snapshot["workflowId"], f"{label}#{occurrence}"), []).append(record)
    return [_group_json(workflow, step, members) for (workflow, step), members in groups.items()]


def _index(record: Mapping[str, Any]) -> int:
    snapshot = record.get("snapshot")
    value = snapshot.get("stepIndex") if isinstance(snapshot, Mapping) else None
    return value if type(value) is int else 0


def _group_json(workflow: str, step: str, members: list[Mapping[str, Any]]) -> dict[str, Any]:
    outputs: list[str] = []
    changes: list[dict[str, Any]] = []
    for before, after in itertools.pairwise(members):
        out_a, out_b = before["snapshot"].get("outputHash"), after["snapshot"].get("outputHash")
        for value in (out_a, out_b):
            if value not in outputs:
                outputs.append(value)
        if out_a == out_b:
            continue
        change: dict[str, Any] = {
            "time": after.get("createdAt"),
            "before": before.get("certificateHash"),
            "after": after.get("certificateHash"),
        }
        if len(changes) < MAX_EXPLAINED_PER_STEP:
            explanation = explain(before, after)
            change["verdict"] = str(explanation.verdict)
            change["summary"] = explanation.summary
            change["causes"] = [c.to_json() for c in explanation.causes[:3]]
        changes.append(change)
    return {
        "workflow": workflow,
        "step": step,
        "runs": len(members),
        "distinctOutputs": max(len(outputs), 1),
        "changes": changes,
    }


def step_groups_text(groups: Sequence[Mapping[str, Any]]) -> str:
    """The terminal lines of :func:`step_groups`."""
    lines = []
    for group in groups:
        lines.append(
            f"workflow {group['workflow']} / step {group['step']}: {group['runs']} runs, "
            f"{group['distinctOutputs']} distinct outputs"
        )
        for change in group["changes"]:
            lines.append(f"  {change['time']}: {change.get('verdict', 'NOT_EXPLAINED')}: "
                         f"{change.get('summary', '')}")  # fmt: skip
    return "\n".join(lines)


__all__ = [
    "StepPair",
    "WorkflowDiff",
    "align",
    "bundle_steps",
    "diff_workflows",
    "step_groups",
    "step_groups_text",
    "step_label",
]
