"""Building NexArt project bundles (``cer.project.bundle.v1``, docs/spec.md §2.4).

A project bundle holds the sealed CERs of one workflow run, in step order, with a step
registry and an ``integrity.projectHash``. cerkit's bundles also declare ``totalSteps`` and
``finalStepHash`` (both covered by the project hash), so that a verifier can tell a step
that was removed, added or reordered (:mod:`cerkit.verify.project`).

Each step CER carries NexArt's workflow fields in its snapshot: ``workflowId``, ``runId``,
``stepId``, ``stepIndex`` and ``prevStepHash`` (the certificateHash of the step before it;
the first step has none), and for a graph step that had several parents, ``parentStepIds``.
:func:`step_fields` computes them before a step is sealed; :func:`project_bundle` puts the
sealed steps together.

>>> from cerkit.seal import seal_args
>>> args = {"executionId": "e", "provider": "p", "model": "m", "prompt": "p", "input": 1,
...         "output": 2, "parameters": {"temperature": 0, "maxTokens": 0}}
>>> one = seal_args({**args, **step_fields("wf", "run", 0, None, step_id="a")})
>>> two = seal_args({**args, **step_fields("wf", "run", 1, one["certificateHash"], step_id="b")})
>>> bundle = project_bundle([one, two], title="demo")
>>> bundle["totalSteps"], bundle["finalStepHash"] == two["certificateHash"]
(2, True)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from cerkit.errors import SchemaError

PROJECT_VERSION: Final[str] = "0.1"
#: The snapshot fields that place a CER in a workflow run.
WORKFLOW_FIELDS: Final[tuple[str, ...]] = (
    "workflowId",
    "runId",
    "stepId",
    "stepIndex",
    "prevStepHash",
)


def step_fields(
    workflow_id: str,
    run_id: str,
    index: int,
    prev_hash: str | None,
    *,
    step_id: str | None = None,
    parents: Sequence[str] = (),
) -> dict[str, Any]:
    """The workflow fields of the step ``index`` of a run (extra ``createSnapshot`` arguments).

    ``parents`` are the step ids whose output this step consumed, for a graph step."""
    fields: dict[str, Any] = {
        "workflowId": workflow_id,
        "runId": run_id,
        "stepId": step_id or str(uuid.uuid4()),
        "stepIndex": index,
    }
    if prev_hash is not None:
        fields["prevStepHash"] = prev_hash
    if parents:
        fields["parentStepIds"] = list(parents)
    return fields


def _label(snapshot: Mapping[str, Any]) -> str:
    label = snapshot.get("stepLabel")
    if isinstance(label, str):
        return label
    execution = snapshot.get("execution")
    if isinstance(execution, Mapping):
        for key in ("node", "entryPoint", "api"):
            if isinstance(execution.get(key), str):
                return str(execution[key])
    return str(snapshot.get("model"))


def _step_type(snapshot: Mapping[str, Any]) -> str:
    execution = snapshot.get("execution")
    kind = execution.get("kind") if isinstance(execution, Mapping) else None
    return kind if isinstance(kind, str) else "step"


def registry_entry(cer: Mapping[str, Any], sequence: int) -> dict[str, Any]:
    """The ``stepRegistry`` entry of one sealed step CER."""
    snapshot = cer["snapshot"]
    identity = {
        "provider": snapshot.get("provider"),
        "model": snapshot.get("model"),
        "modelVersion": snapshot.get("modelVersion"),
    }
    entry: dict[str, Any] = {
        "stepId": snapshot.get("stepId") or snapshot.get("executionId"),
        "sequence": sequence,
        "stepLabel": _label(snapshot),
        "stepType": _step_type(snapshot),
        "executionId": snapshot.get("executionId"),
        "certificateHash": cer["certificateHash"],
        "recordedAt": cer.get("createdAt"),
        "modelIdentity": identity,
    }
    if isinstance(snapshot.get("parentStepIds"), list):
        entry["parentStepIds"] = snapshot["parentStepIds"]
    return entry


def project_bundle(
    steps: Iterable[Mapping[str, Any]],
    *,
    title: str,
    project_id: str | None = None,
    framework: str = "cerkit",
    app_name: str | None = None,
    final_output_summary: str | None = None,
) -> dict[str, Any]:
    """A sealed ``cer.project.bundle.v1`` holding ``steps`` (sealed CERs) in the given order.

    Raises:
        SchemaError: no steps, a step that is not a sealed CER, or two steps with one stepId.
    """
    from cerkit.verify.project import PROJECT_BUNDLE_TYPE, PROJECT_HASH_ALGORITHM, project_hash

    cers = list(steps)
    if not cers:
        raise SchemaError("a project bundle needs at least one step")
    registry = []
    for sequence, cer in enumerate(cers):
        if not isinstance(cer, Mapping) or not isinstance(cer.get("snapshot"), Mapping):
            raise SchemaError(f"step {sequence} is not a sealed CER")
        registry.append(registry_entry(cer, sequence))
    ids = [entry["stepId"] for entry in registry]
    if len(set(ids)) != len(ids) or not all(isinstance(i, str) for i in ids):
        raise SchemaError("every step needs its own string stepId")
    first = cers[0]["snapshot"]
    bundle: dict[str, Any] = {
        "bundleType": PROJECT_BUNDLE_TYPE,
        "version": PROJECT_VERSION,
        "protocolVersion": first.get("protocolVersion", "1.2.0"),
        "projectBundleId": project_id or str(uuid.uuid4()),
        "projectTitle": title,
        "startedAt": first.get("timestamp"),
        "completedAt": cers[-1].get("createdAt"),
        "totalSteps": len(cers),
        "finalStepHash": cers[-1]["certificateHash"],
        "stepRegistry": registry,
        "frameworkName": framework,
    }
    for key in ("workflowId", "runId"):
        if isinstance(first.get(key), str):
            bundle[key] = first[key]
    if app_name is not None:
        bundle["appName"] = app_name
    bundle["integrity"] = {"algorithm": PROJECT_HASH_ALGORITHM, "projectHash": ""}
    bundle["integrity"]["projectHash"] = project_hash(bundle)
    bundle["embeddedBundles"] = {
        entry["stepId"]: dict(cer) for entry, cer in zip(registry, cers, strict=True)
    }
    if final_output_summary is not None:
        bundle["finalOutputSummary"] = final_output_summary
    return bundle


def order_steps(records: Iterable[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
    """Group stored records into runs (by ``runId``, else ``workflowId``) and order each
    run's steps by their ``prevStepHash`` chain, falling back to ``stepIndex``.

    Records without workflow fields are left out. Runs come in order of first appearance."""
    runs: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        snapshot = record.get("snapshot") if isinstance(record, Mapping) else None
        if not isinstance(snapshot, Mapping):
            continue
        key = snapshot.get("runId") or snapshot.get("workflowId")
        if isinstance(key, str):
            runs.setdefault(key, []).append(record)
    return [_chain_order(steps) for steps in runs.values()]


def _chain_order(steps: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    def index(record: Mapping[str, Any]) -> int:
        value = record["snapshot"].get("stepIndex")
        return value if type(value) is int else 1 << 62

    ordered = sorted(steps, key=index)
    by_prev = {r["snapshot"].get("prevStepHash"): r for r in ordered}
    chain: list[Mapping[str, Any]] = []
    current = by_prev.get(None)
    while current is not None and len(chain) < len(ordered):
        chain.append(current)
        current = by_prev.get(current.get("certificateHash"))
    return chain if len(chain) == len(ordered) else ordered


__all__ = [
    "PROJECT_VERSION",
    "WORKFLOW_FIELDS",
    "order_steps",
    "project_bundle",
    "registry_entry",
    "step_fields",
]
