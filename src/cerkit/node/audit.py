"""Auditing a node's log from the outside (``cerkit log audit``).

Steps, numbered as in the code:

1. open the node's current checkpoint with the trusted key document;
2. download every entry and check the indices run 0..size-1 without a gap;
3. check each entry's receipt signature (pins down a rewritten entry by index);
4. rebuild the tree and compare its root with the signed checkpoint
   (:func:`cerkit.audit.audit_log`);
5. with a previously saved checkpoint: the log did not shrink, the rebuilt tree has the
   saved root at the saved size, and the node's consistency proof verifies (RFC 9162
   §2.1.4.2), so nothing logged before was removed or rewritten;
6. fetch every stored bundle and check it is still the record of its leaf: integrity
   intact and its certificateHash the leaf's (a rewritten ``bundle`` column is caught
   here: the leaves and receipts alone do not cover it).

The checks themselves (:func:`audit_entries`) are pure; :func:`audit_node` fetches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final

from cerkit.attestation import make_receipt, verify_receipt_signature
from cerkit.audit import audit_log
from cerkit.checkpoint import Checkpoint, open_checkpoint_with
from cerkit.errors import CerkitError, InvalidRecordError, Reason
from cerkit.keys import KeyDocument, KeyState
from cerkit.merkle import verify_consistency
from cerkit.node.client import NodeClient
from cerkit.node.submission import check_stored_bundle, dump_json

#: Records fetched at once while checking stored bundles (step 6): enough to hide the
#: round trip, few enough not to load the node.
BUNDLE_FETCHERS: Final[int] = 8


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing the audit found wrong; ``index`` is the log entry concerned, if any."""

    reason: Reason
    message: str
    index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"reason": str(self.reason), "index": self.index, "message": self.message}


@dataclass(frozen=True, slots=True)
class AuditResult:
    checkpoint: Checkpoint
    note: str
    entries: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "origin": self.checkpoint.origin,
            "treeSize": self.checkpoint.size,
            "entries": self.entries,
            "problems": [p.to_dict() for p in self.problems],
        }


def open_with_document(note: str, document: KeyDocument) -> Checkpoint:
    """Open a checkpoint signed by any non-revoked key of ``document``."""
    verifiers = [
        (document.log_origin, key.verifier())
        for key in document.keys
        if key.state is not KeyState.REVOKED
    ]
    return open_checkpoint_with(note, document.log_origin, verifiers)


def _check_sequence(entries: Sequence[Mapping[str, Any]], size: int) -> list[Problem]:
    # (2) indices 0..size-1, each exactly once
    seen = {e.get("index") for e in entries}
    problems = [
        Problem(Reason.LOG_ENTRY_MISSING, f"entry {i} is missing", i)
        for i in range(size)
        if i not in seen
    ]
    if len(entries) > size:
        problems.append(
            Problem(Reason.LOG_ENTRY_MISMATCH, f"{len(entries)} entries for a tree of {size}")
        )
    return problems


def _check_receipt(entry: Mapping[str, Any], document: KeyDocument) -> Problem | None:
    # (3) the node signed exactly this (certificateHash, timestamp, kid, index)
    index = entry.get("index")
    key = document.find(str(entry.get("kid")))
    if key is None:
        return Problem(Reason.RECEIPT_KEY_UNKNOWN, f"entry {index} names unknown key", index)
    receipt = make_receipt(
        str(entry.get("certificateHash")),
        str(entry.get("timestamp")),
        document.node_id,
        key.kid,
        int(index) if isinstance(index, int) else -1,
    )
    try:
        verify_receipt_signature(receipt, str(entry.get("signatureB64Url")), key.verifier())
    except InvalidRecordError:
        return Problem(
            Reason.LOG_ENTRY_MISMATCH,
            f"entry {index} does not match the receipt the node signed for it (rewritten)",
            index,
        )
    return None


def audit_entries(
    entries: Sequence[Mapping[str, Any]],
    checkpoint: Checkpoint,
    document: KeyDocument,
    *,
    saved: Checkpoint | None = None,
    consistency: Sequence[bytes] | None = None,
    check_receipts: bool = True,
) -> list[Problem]:
    """Steps 2-5 over downloaded entries; returns every problem found."""
    problems = _check_sequence(entries, checkpoint.size)
    if check_receipts:
        problems.extend(p for e in entries if (p := _check_receipt(e, document)) is not None)
    # (4) and (5): the rebuilt tree has the signed root, and the saved root at its size
    ordered = sorted(entries, key=lambda e: int(e.get("index", -1)))
    leaves = [str(e.get("certificateHash")).encode("utf-8") for e in ordered]
    rebuilt = audit_log(leaves, checkpoint, previous=[saved] if saved is not None else [])
    problems.extend(
        Problem(rebuilt.reason, text, rebuilt.first_bad_index) for text in rebuilt.problems
    )
    if saved is not None and consistency is not None and saved.size <= checkpoint.size:
        try:
            verify_consistency(
                saved.size, checkpoint.size, saved.root, checkpoint.root, consistency
            )
        except InvalidRecordError as exc:
            problems.append(Problem(Reason.CONSISTENCY_PROOF_INVALID, exc.message))
    return problems


def check_bundle(index: int, certificate_hash: str, bundle: Any) -> Problem | None:
    # (6) the stored bundle is the record of its leaf
    try:
        check_stored_bundle(certificate_hash, dump_json(bundle))
    except InvalidRecordError as exc:
        return Problem(Reason.STORED_BUNDLE_MISMATCH, exc.message, index)
    return None


def _audit_bundles(client: NodeClient, entries: Sequence[Mapping[str, Any]]) -> list[Problem]:
    def one(entry: Mapping[str, Any]) -> Problem | None:
        index, cert = entry.get("index"), str(entry.get("certificateHash"))
        where = index if isinstance(index, int) else None
        try:
            bundle = client.stored_bundle(cert)
        except CerkitError as exc:
            if exc.reason is not Reason.STORED_BUNDLE_MISMATCH:
                raise  # the check could not run: not a finding about the log
            return Problem(exc.reason, exc.message, where)  # the node refused its copy
        return check_bundle(where if where is not None else -1, cert, bundle)

    with ThreadPoolExecutor(BUNDLE_FETCHERS) as pool:
        return [p for p in pool.map(one, entries) if p is not None]


def audit_node(
    client: NodeClient,
    document: KeyDocument,
    *,
    saved_note: str | None = None,
    check_receipts: bool = True,
    check_bundles: bool = True,
) -> AuditResult:
    """Run every step against a live node."""
    note = client.checkpoint()
    checkpoint = open_with_document(note, document)  # (1)
    saved = open_with_document(saved_note, document) if saved_note else None
    consistency = None
    problems: list[Problem] = []
    if saved is not None and saved.size <= checkpoint.size:
        try:
            consistency = client.consistency(saved.size, checkpoint.size)
        except CerkitError as exc:
            problems.append(Problem(Reason.CONSISTENCY_PROOF_INVALID, exc.message))
    entries = client.entries(0, checkpoint.size)
    problems += audit_entries(
        entries,
        checkpoint,
        document,
        saved=saved,
        consistency=consistency,
        check_receipts=check_receipts,
    )
    if check_bundles:
        problems += _audit_bundles(client, entries)
    return AuditResult(checkpoint, note, len(entries), problems)
