"""Layer 3, node receipt: an attestation node countersigned the record (docs/trust.md §5).

Steps, numbered as in the code:

1. find the attestation: ``meta.attestation``; in NexArt compatibility mode also NexArt's
   other layouts (top-level ``attestation``, the bundle itself, ``proof``,
   ``certification``, ``seal``) and field aliases (``signature``, ``kid``);
2. the signature is 64 bytes of base64url (a placeholder such as ``"sig"`` fails here);
3. the receipt has its fields (``certificateHash``, ``timestamp``, ``nodeId``, ``kid``);
4. the receipt binds this record: its certificateHash is the bundle's, and the unsigned
   copies beside it (``attestorKeyId``, ``nodeId``, ``logIndex``) agree with it;
5. a trusted key document exists (else SKIPPED, ``NO_TRUSTED_KEYS``: never PASS);
6. the key is resolved strictly by ``kid`` in the document of the receipt's ``nodeId``
   (no fallback to an active or first key);
7. the Ed25519 signature over the receipt's canonical JSON verifies;
8. the key's lifecycle allows it: a revoked key only for receipts dated before its
   revocation, a retired key only for receipts dated before its retirement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cerkit.attestation import (
    RECEIPT_FIELDS,
    Attestation,
    parse_attestation,
    parse_time,
    verify_receipt_signature,
)
from cerkit.errors import CerkitError, InvalidRecordError, Reason
from cerkit.keys import KeyDocument, KeyEntry, KeyState, b64url_decode
from cerkit.verify.report import Check, Layer, Report, Status
from cerkit.verify.trust import TrustStore

_L = Layer.NODE_RECEIPT
#: The entry of a record without an attestation (step 1); shared, as entries are immutable.
ABSENT: Final[Check] = Check(
    _L, "receipt", Status.SKIPPED, Reason.NOT_PRESENT, "no meta.attestation"
)
#: NexArt's layouts, probed in compatibility mode after ours (``meta.attestation``).
_NEXART_LAYOUTS: Final[tuple[str, ...]] = ("attestation", "", "proof", "certification", "seal")


@dataclass(frozen=True, slots=True)
class ReceiptOutcome:
    """What the receipt layer found, for the log layer."""

    attestation: Attestation | None = None
    document: KeyDocument | None = None
    entry: KeyEntry | None = None
    passed: bool = False


def _find(bundle: Mapping[str, Any], nexart_compat: bool) -> tuple[Mapping[str, Any], str] | None:
    meta = bundle.get("meta")
    ours = meta.get("attestation") if isinstance(meta, Mapping) else None
    if isinstance(ours, Mapping) and (not nexart_compat or "receipt" in ours):
        return ours, "meta.attestation"
    if not nexart_compat:
        return None
    for name in _NEXART_LAYOUTS:
        block = bundle.get(name) if name else bundle
        if isinstance(block, Mapping) and isinstance(block.get("receipt"), Mapping):
            return block, name or "top level"
    return (ours, "meta.attestation") if isinstance(ours, Mapping) else None


def _normalize(block: Mapping[str, Any]) -> dict[str, Any]:
    """NexArt aliases: ``signature`` for ``signatureB64Url``, ``kid`` for ``attestorKeyId``."""
    out = dict(block)
    if "signatureB64Url" not in out and isinstance(out.get("signature"), str):
        out["signatureB64Url"] = out["signature"]
    if "attestorKeyId" not in out and isinstance(out.get("kid"), str):
        out["attestorKeyId"] = out["kid"]
    return out


def check_receipt(
    bundle: Mapping[str, Any],
    report: Report,
    trust: TrustStore | None,
    *,
    nexart_compat: bool = False,
) -> ReceiptOutcome:
    """Run the receipt steps; the outcome tells the log layer which key vouched."""
    # (1) find the attestation
    found = _find(bundle, nexart_compat)
    if found is None:
        report.checks.append(ABSENT)
        return ReceiptOutcome()
    block, where = found
    if nexart_compat:
        report.notes.append(f"NexArt compatibility mode: attestation read from {where}")
        if "mode" in block:
            report.notes.append(f"NexArt attestation mode: {block.get('mode')}")
        block = _normalize(block)
        if "receipt" not in block:
            report.add(_L, "receipt", Status.SKIPPED, Reason.NOT_PRESENT, "legacy attestation")
            report.notes.append("legacy NexArt attestation without a signed receipt")
            return ReceiptOutcome()
    # (2) signature shape (placeholders fail first), (3) receipt fields, (4) binding
    att = None
    try:
        att = parse_attestation(block)
        if len(b64url_decode(att.signature)) != 64:
            raise InvalidRecordError(
                "an Ed25519 signature is 64 bytes", Reason.RECEIPT_SIGNATURE_INVALID
            )
        _check_fields(att, nexart_compat)
        _check_binding(att, bundle)
    except CerkitError as exc:
        reason = Reason.RECEIPT_SIGNATURE_INVALID if exc.reason is Reason.MALFORMED_JSON else None
        report.add(_L, "receipt", Status.FAIL, reason or exc.reason, exc.message)
        return ReceiptOutcome(attestation=att)
    # (5) trust
    if trust is None or not trust.has_node_keys:
        report.add(_L, "signature", Status.SKIPPED, Reason.NO_TRUSTED_KEYS, f"key {att.kid}")
        return ReceiptOutcome(attestation=att)
    return _check_signature(att, report, trust, nexart_compat)


def _check_fields(att: Attestation, nexart_compat: bool) -> None:
    receipt = att.receipt
    # NexArt receipts may name the key attestorKeyId and omit nodeId; the kid is still strict.
    names = ("certificateHash", "timestamp") if nexart_compat else RECEIPT_FIELDS
    for name in names:
        if not isinstance(receipt.get(name), str) or not receipt.get(name):
            raise InvalidRecordError(f"receipt.{name} is missing", Reason.RECEIPT_MALFORMED)
    if parse_time(receipt["timestamp"]) is None:
        raise InvalidRecordError(
            "receipt.timestamp is not ISO 8601 with a zone", Reason.RECEIPT_MALFORMED
        )


def _check_binding(att: Attestation, bundle: Mapping[str, Any]) -> None:
    receipt, block = att.receipt, att.raw
    if receipt["certificateHash"] != bundle.get("certificateHash"):
        raise InvalidRecordError("receipt is for another certificateHash", Reason.RECEIPT_MISMATCH)
    # The copies beside the receipt are unsigned: they must say what the receipt says.
    copies = [("attestorKeyId", att.kid), ("hash", receipt["certificateHash"])]
    copies += [(name, receipt[name]) for name in ("nodeId", "logIndex") if name in receipt]
    for name, signed in copies:
        # Same type as well as equal: in Python False == 0 and 1.0 == 1, so an unsigned
        # ``logIndex: false`` would otherwise agree with a signed index 0.
        if name in block and (type(block[name]) is not type(signed) or block[name] != signed):
            message = f"attestation.{name} disagrees with the signed receipt"
            raise InvalidRecordError(message, Reason.RECEIPT_MISMATCH)


def _resolve(
    att: Attestation, trust: TrustStore, nexart_compat: bool
) -> tuple[KeyDocument, KeyEntry] | None:
    node_id = att.receipt.get("nodeId")
    docs = trust.documents_for(node_id if isinstance(node_id, str) else None)
    if not docs and nexart_compat:
        docs = trust.documents_for(None)  # NexArt node ids vary by deployment; kid still strict
    for doc in docs:
        entry = doc.find(att.kid)
        if entry is not None:
            return doc, entry
    return None


def _check_signature(
    att: Attestation, report: Report, trust: TrustStore, nexart_compat: bool
) -> ReceiptOutcome:
    # (6) strict key resolution
    resolved = _resolve(att, trust, nexart_compat)
    if resolved is None:
        node = att.receipt.get("nodeId")
        message = f"no trusted key {att.kid} for node {node}"
        report.add(_L, "key", Status.FAIL, Reason.RECEIPT_KEY_UNKNOWN, message)
        return ReceiptOutcome(attestation=att)
    doc, entry = resolved
    # (7) signature
    try:
        verify_receipt_signature(att.receipt, att.signature, entry.verifier())
    except CerkitError as exc:
        report.add(_L, "signature", Status.FAIL, exc.reason, exc.message)
        return ReceiptOutcome(attestation=att, document=doc, entry=entry)
    # (8) lifecycle
    if not _check_lifecycle(att, entry, report):
        return ReceiptOutcome(attestation=att, document=doc, entry=entry)
    report.add(_L, "signature", Status.PASS, Reason.OK, f"signed by {doc.node_id} key {entry.kid}")
    return ReceiptOutcome(attestation=att, document=doc, entry=entry, passed=True)


def _check_lifecycle(att: Attestation, entry: KeyEntry, report: Report) -> bool:
    if entry.state is KeyState.ACTIVE:
        return True
    signed_at = parse_time(att.receipt.get("timestamp"))
    if entry.state is KeyState.REVOKED:
        limit, reason, word = entry.revoked_at, Reason.RECEIPT_KEY_REVOKED, "revoked"
    else:
        limit, reason, word = entry.retired_at, Reason.RECEIPT_KEY_RETIRED, "retired"
    until = parse_time(limit)
    if word == "retired" and until is None:
        # Retired with no recorded time: it verifies what it signed, as rotation promises.
        report.notes.append(f"key {entry.kid} is retired; it signed this receipt earlier")
        return True
    if signed_at is None or until is None or signed_at >= until:
        why = f" ({entry.reason})" if entry.reason else ""
        dated = att.receipt.get("timestamp")
        message = f"key {entry.kid} was {word} at {limit}{why}; receipt dated {dated}"
        report.add(_L, "key_lifecycle", Status.FAIL, reason, message)
        return False
    report.notes.append(
        f"key {entry.kid} was {word} at {limit}; this receipt is dated "
        f"{att.receipt.get('timestamp')}, before that, and is accepted"
    )
    return True
