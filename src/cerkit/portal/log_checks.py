"""The log page's checks, each an entry of the transparency-log layer (docs/trust.md §6).

All of them use the library's log code (:mod:`cerkit.checkpoint`, :mod:`cerkit.merkle`);
the portal only chooses what to hold against what. Steps, numbered as in the code:

A signed checkpoint (the source's own, or one the user pastes):

1. it is a C2SP signed note (``CHECKPOINT_MALFORMED``);
2. it is signed by a key of the node's key document that is not revoked, for the log's
   origin (``CHECKPOINT_SIGNATURE_INVALID``; SKIPPED ``NO_TRUSTED_KEYS`` without a document);
3. the log extends it: the log holds at least its size, and the RFC 9162 §2.1.4 consistency
   proof from its size to the log's, computed from the log, leads from its root to the
   log's root (``CONSISTENCY_PROOF_INVALID``: entries were removed or rewritten).

A record's inclusion:

4. the record's leaf is in the log (``LOG_ENTRY_MISSING``);
5. its inclusion proof (RFC 9162 §2.1.3) leads to the root of the signed checkpoint when
   that covers the leaf, else to the log's current root (``INCLUSION_PROOF_INVALID``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from cerkit.checkpoint import Checkpoint, open_checkpoint_with, peek_checkpoint
from cerkit.errors import CerkitError, OperationalError, Reason
from cerkit.keys import KeyState
from cerkit.merkle import record_leaf, verify_consistency, verify_inclusion
from cerkit.portal.logview import LogView
from cerkit.verify.report import Check, Layer, Status

_L = Layer.TRANSPARENCY_LOG


def _check(name: str, status: Status, reason: Reason | str, message: str) -> Check:
    return Check(_L, name, status, reason, message)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True, slots=True)
class Outcome:
    """The checks of one question, and the facts shown beside them."""

    checks: tuple[Check, ...]
    facts: dict[str, str] = field(default_factory=dict)
    proof: tuple[str, ...] = ()  # base64 hashes of the proof shown

    @property
    def ok(self) -> bool:
        return all(c.status is Status.PASS for c in self.checks)


def _signature(source: LogView, note: str) -> tuple[list[Check], Checkpoint | None]:
    """Steps 1 and 2: the note's checkpoint, and whether a trusted key signed it."""
    try:
        cp = peek_checkpoint(note)  # (1)
    except CerkitError as exc:
        return [_check("checkpoint", Status.FAIL, exc.reason, exc.message)], None
    document = source.key_document()
    if document is None:
        why = "no key document of the node: the signature is not checked"
        return [_check("signature", Status.SKIPPED, Reason.NO_TRUSTED_KEYS, why)], cp
    verifiers = [
        (document.log_origin, k.verifier())
        for k in document.keys
        if k.state is not KeyState.REVOKED
    ]
    try:
        cp = open_checkpoint_with(note, document.log_origin, verifiers)  # (2)
    except CerkitError as exc:
        return [_check("signature", Status.FAIL, exc.reason, exc.message)], cp
    signed = f"signed by {document.node_id} for {cp.origin}"
    return [_check("signature", Status.PASS, Reason.OK, signed)], cp


def _extends(source: LogView, cp: Checkpoint, size: int) -> Check:
    """Step 3: the log of ``size`` leaves extends the checkpoint."""
    reason = Reason.CONSISTENCY_PROOF_INVALID
    if cp.size > size:
        why = f"the checkpoint is for {cp.size} entries, the log holds {size}: entries were removed"
        return _check("consistency", Status.FAIL, reason, why)
    try:
        proof = source.consistency_proof(cp.size, size)
        verify_consistency(cp.size, size, cp.root, source.root(size), proof)
    except OperationalError:
        raise  # the log could not answer: not a verdict on the checkpoint
    except CerkitError as exc:
        return _check("consistency", Status.FAIL, reason, exc.message)
    what = f"the log of {size} entries extends the checkpoint of {cp.size} ({len(proof)} hashes)"
    return _check("consistency", Status.PASS, Reason.OK, what)


def checkpoint_outcome(source: LogView, note: str) -> Outcome:
    """Steps 1-3 for one signed checkpoint."""
    size = source.tree_size()
    checks, cp = _signature(source, note)
    if cp is None:
        return Outcome(tuple(checks))
    checks.append(_extends(source, cp, size))
    facts = {"origin": cp.origin, "size": str(cp.size), "root": b64(cp.root), "log size": str(size)}
    return Outcome(tuple(checks), facts)


def inclusion_outcome(source: LogView, certificate_hash: str) -> Outcome:
    """Steps 4-5 for one record, under the signed checkpoint when it covers the leaf."""
    index = source.leaf_index(certificate_hash)
    if index is None:  # (4)
        why = f"{certificate_hash} is not in this log"
        return Outcome((_check("entry", Status.FAIL, Reason.LOG_ENTRY_MISSING, why),))
    size, under = source.tree_size(), "the log's current root (unsigned)"
    note = source.signed_checkpoint()
    if note is not None:
        try:
            signed = peek_checkpoint(note)
        except CerkitError:
            signed = None
        if signed is not None and index < signed.size <= size:
            size, under = signed.size, "the root of the signed checkpoint"
    root = source.root(size)
    proof = source.inclusion_proof(index, size)
    try:
        verify_inclusion(record_leaf(certificate_hash), index, size, proof, root)  # (5)
    except CerkitError as exc:
        return Outcome((_check("inclusion", Status.FAIL, exc.reason, exc.message),))
    what = f"entry {index} of {size}: the proof leads to {under}"
    facts = {"index": str(index), "tree size": str(size), "root": b64(root), "proved under": under}
    return Outcome(
        (_check("inclusion", Status.PASS, Reason.OK, what),), facts, tuple(map(b64, proof))
    )
