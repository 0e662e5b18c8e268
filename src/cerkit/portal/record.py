"""The record page's view: a record cut into the sections a reader looks for, each value a
browsable tree, and ``meta`` beside the verifier's check of each part.

Pure: takes the parsed record and its :class:`~cerkit.verify.report.Report` (from
:func:`cerkit.verify.verify_bundle`, never a second implementation) and returns values the
template renders, escaped, with nested ``<details>`` and no script.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any, Final

from markupsafe import Markup

from cerkit._text import counted
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
class Section:
    """A titled part of the page: its values as one rendered tree (:func:`tree`)."""

    title: str
    html: Markup


@dataclass(frozen=True, slots=True)
class MetaPart:
    """A part of ``meta`` (its tree, None when absent) and the verifier's checks of it."""

    title: str
    html: Markup | None
    checks: list[dict[str, Any]]


def tree(items: list[tuple[str, Any]], open_depth: int = 1) -> Markup:
    """``(key, value)`` pairs as a ``<ul class="tree">``: objects and arrays as nested
    ``<details>`` (open to ``open_depth`` levels), strings as they are, other scalars as
    JSON. Every key and value is escaped (:func:`html.escape`, quotes included: the same
    five characters Jinja2's autoescape replaces).

    Built in Python rather than by a recursive template: a runtime fingerprint is hundreds
    of values, and this is several times faster (bench/portal.py).
    """
    out: list[str] = []
    _items(out, items, 1, open_depth)
    return Markup("".join(out))


def _items(out: list[str], items: list[tuple[str, Any]], depth: int, open_depth: int) -> None:
    out.append('<ul class="tree">')
    for key, value in items:
        if isinstance(value, dict | list) and depth <= MAX_TREE_DEPTH:  # parsed JSON
            _branch(out, key, value, depth, open_depth)
            continue
        text = value if isinstance(value, str) else dumps(value)
        out.append(f'<li><span class="key">{escape(key)}</span>')
        out.append(f' <code class="value">{escape(text)}</code></li>')
    out.append("</ul>")


def _branch(out: list[str], key: str, value: Any, depth: int, open_depth: int) -> None:
    """An object or array: a ``<details>`` whose summary names its key, kind and size."""
    is_object = isinstance(value, dict)
    children = list(value.items()) if is_object else list(enumerate(value))
    summary = f"{'object' if is_object else 'array'}, {_more(len(children))}"
    opened = " open" if depth <= open_depth else ""
    out.append(f'<li><details{opened}><summary><span class="key">{escape(key)}</span>')
    out.append(f' <span class="kind">{escape(summary)}</span></summary>')
    if children:
        pairs = [(str(k), v) for k, v in children[:MAX_CHILDREN]]
        _items(out, pairs, depth + 1, open_depth)
    out.append("</details></li>")


def _more(count: int) -> str:
    hidden = count - MAX_CHILDREN
    return counted(count, "item") + (f", {hidden} not listed (see the JSON)" if hidden > 0 else "")


def sections(bundle: Mapping[str, Any]) -> list[Section]:
    """The snapshot cut into :data:`SECTIONS`, then the fingerprint, context and the rest."""
    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    out, seen = [], {FINGERPRINT}
    for title, names in SECTIONS:
        present = [(name, snapshot[name]) for name in names if name in snapshot]
        seen.update(names)
        if present:
            out.append(Section(title, tree(present, 2)))
    if FINGERPRINT in snapshot:
        fingerprint = [(FINGERPRINT, snapshot[FINGERPRINT])]
        out.append(Section("Runtime fingerprint", tree(fingerprint, 1)))
    rest = [(str(k), v) for k, v in snapshot.items() if k not in seen]
    if rest:
        out.append(Section("Other snapshot fields", tree(rest, 2)))
    context = [(k, bundle[k]) for k in CONTEXT if k in bundle]
    if context:
        out.append(Section("Context", tree(context, 2)))
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
        MetaPart(title, None if value is None else _tree_of(value), [c.to_dict() for c in checks])
        for title, value, checks in parts
    ]
    if other:
        out.append(MetaPart("Other meta", _tree_of(other), []))
    return out


def _tree_of(value: Any) -> Markup:
    if isinstance(value, Mapping):
        return tree([(str(k), v) for k, v in value.items()], 1)
    return tree([("value", value)], 1)
