"""The record page's view: a record cut into the sections a reader looks for, each value a
browsable tree, and ``meta`` beside the verifier's check of each part.

Pure: takes the parsed record and its :class:`~cerkit.verify.report.Report` (from
:func:`cerkit.verify.verify_bundle`, never a second implementation) and returns values the
template renders, escaped, with nested ``<details>`` and no script.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cerkit.jsonio import dumps
from cerkit.verify.report import Check, Layer, Report

#: Levels of a tree shown as ``<details>``; deeper values are shown as their JSON text (a
#: bound on the page's nesting whatever the record holds; jsonio bounds the record's own).
MAX_TREE_DEPTH: Final[int] = 24
#: Children of one node listed before the rest is summarized (a package list has hundreds).
MAX_CHILDREN: Final[int] = 2000

#: Snapshot fields per section, in reading order; the rest goes to "Other snapshot fields".
SECTIONS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("Inputs", ("prompt", "input", "inputHash")),
    ("Output", ("output", "outputHash", "finishReason")),
    ("Parameters as passed", ("parameters",)),
    ("Parameters as applied", ("effectiveParameters", "parameterSources")),
    ("Model identity", ("provider", "model", "modelVersion", "modelIdentity")),
    ("Execution", ("executionId", "timestamp", "execution", "toolCalls", "usage", "seeds")),
    (
        "Workflow",
        ("workflowId", "runId", "stepId", "stepIndex", "prevStepHash", "conversationId"),
    ),
)
#: The hashed fields beside the snapshot (docs/spec.md §2).
CONTEXT: Final[tuple[str, ...]] = ("context", "contextSummary", "policyEvaluation")
#: The runtime fingerprint's own section (docs/capture.md): a tree of its parts.
FINGERPRINT: Final[str] = "environment"


@dataclass(frozen=True, slots=True)
class Node:
    """One value of a tree: a key, and either its scalar text or its children."""

    key: str
    text: str | None = None
    children: list[Node] = field(default_factory=list)
    kind: str = "scalar"  # scalar, object, array


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    nodes: list[Node]


@dataclass(frozen=True, slots=True)
class MetaPart:
    """A part of ``meta`` and the verifier's checks of it."""

    title: str
    nodes: list[Node]
    checks: list[dict[str, Any]]


def tree(key: str, value: Any, depth: int = 0) -> Node:
    """``value`` as a :class:`Node` tree (strings shown as they are, other scalars as JSON)."""
    if isinstance(value, Mapping) and depth < MAX_TREE_DEPTH:
        items = list(value.items())
        children = [tree(str(k), v, depth + 1) for k, v in items[:MAX_CHILDREN]]
        return Node(key, _more(len(items)), children, "object")
    if isinstance(value, list) and depth < MAX_TREE_DEPTH:
        children = [tree(str(i), v, depth + 1) for i, v in enumerate(value[:MAX_CHILDREN])]
        return Node(key, _more(len(value)), children, "array")
    return Node(key, value if isinstance(value, str) else dumps(value))


def _more(count: int) -> str:
    hidden = count - MAX_CHILDREN
    return f"{count} items" + (f", {hidden} not listed (see the JSON)" if hidden > 0 else "")


def sections(bundle: Mapping[str, Any]) -> list[Section]:
    """The snapshot cut into :data:`SECTIONS`, then the fingerprint, context and the rest."""
    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    out, seen = [], {FINGERPRINT}
    for title, names in SECTIONS:
        present = [name for name in names if name in snapshot]
        seen.update(names)
        if present:
            out.append(Section(title, [tree(name, snapshot[name]) for name in present]))
    if FINGERPRINT in snapshot:
        out.append(Section("Runtime fingerprint", [tree(FINGERPRINT, snapshot[FINGERPRINT])]))
    rest = [tree(str(k), v) for k, v in snapshot.items() if k not in seen]
    if rest:
        out.append(Section("Other snapshot fields", rest))
    context = [tree(k, bundle[k]) for k in CONTEXT if k in bundle]
    if context:
        out.append(Section("Context", context))
    return out


def _checks(report: Report, layer: Layer, names: tuple[str, ...] | None = None) -> list[Check]:
    return [c for c in report.checks if c.layer == layer and (names is None or c.name in names)]


def meta_parts(bundle: Mapping[str, Any], report: Report) -> list[MetaPart]:
    """``meta``: the producer signature, the node receipt, the inclusion proof and the
    checkpoint, each beside the checks the verifier ran on it (shown even when absent)."""
    meta = bundle.get("meta")
    meta = meta if isinstance(meta, Mapping) else {}
    attestation = meta.get("attestation")
    attestation = attestation if isinstance(attestation, Mapping) else {}
    proof_keys = ("logIndex", "inclusionProof")
    receipt = {k: v for k, v in attestation.items() if k not in (*proof_keys, "checkpoint")}
    proof = {k: attestation[k] for k in proof_keys if k in attestation}
    parts = [
        ("Producer signature", meta.get("producer"), _checks(report, Layer.PRODUCER_SIGNATURE)),
        ("Node receipt", receipt or None, _checks(report, Layer.NODE_RECEIPT)),
        (
            "Inclusion proof",
            proof or None,
            _checks(report, Layer.TRANSPARENCY_LOG, ("inclusion",)),
        ),
        (
            "Checkpoint",
            attestation.get("checkpoint"),
            # the inclusion check proves the path to this checkpoint's signed root
            _checks(report, Layer.TRANSPARENCY_LOG, ("checkpoint", "consistency", "inclusion")),
        ),
    ]
    other = {k: v for k, v in meta.items() if k not in ("producer", "attestation")}
    out = [
        MetaPart(title, [] if value is None else _nodes(value), [c.to_dict() for c in checks])
        for title, value, checks in parts
    ]
    if other:
        out.append(MetaPart("Other meta", _nodes(other), []))
    return out


def _nodes(value: Any) -> list[Node]:
    if isinstance(value, Mapping):
        return [tree(str(k), v) for k, v in value.items()]
    return [tree("value", value)]
