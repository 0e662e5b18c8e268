"""What one attestation request carries in and out: the validated submission and the answer.

:func:`parse_submission` is attest steps 1-2 (docs/node.md): parse under the limits of
:mod:`cerkit.jsonio` and verify integrity, before anything is queued or written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cerkit.attestation import attestation_meta, make_receipt
from cerkit.disclosure.commitments import FIELD, view_digests
from cerkit.errors import InvalidRecordError, Reason, SchemaError
from cerkit.jsonio import loads
from cerkit.keys import b64url_encode
from cerkit.ledger.base import LogEntry
from cerkit.node.limits import MAX_BODY_BYTES
from cerkit.signing import binding_message
from cerkit.verify import Report
from cerkit.verify.integrity import check_integrity


@dataclass(frozen=True, slots=True)
class Submission:
    """A validated bundle ready to append."""

    certificate_hash: str
    bundle_json: bytes
    #: ``(commitments digest, root)`` of a disclosable record (docs/spec.md §6.3): the
    #: node signs a disclosure binding for it beside the receipt.
    disclosure: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class AttestedRecord:
    """One record's answer: its log entry, the proof and the checkpoint it is proved under."""

    entry: LogEntry
    created: bool
    tree_size: int
    proof: list[bytes]
    checkpoint: str
    node_id: str
    #: The node's disclosure binding ``{commitments, root, signature}``, for a disclosable
    #: record: answered in ``meta.attestation.disclosure``, outside the receipt.
    disclosure: Mapping[str, str] | None = None

    @property
    def receipt(self) -> dict[str, Any]:
        e = self.entry
        return make_receipt(e.certificate_hash, e.timestamp, self.node_id, e.kid, e.index)

    def meta(self) -> dict[str, Any]:
        """The ``meta.attestation`` object a client adds to the record."""
        meta = attestation_meta(
            self.receipt, self.entry.signature, self.proof, self.tree_size, self.checkpoint
        )
        if self.disclosure is not None:
            meta["disclosure"] = dict(self.disclosure)
        return meta

    def to_json(self) -> dict[str, Any]:
        """The HTTP answer: ``meta.attestation`` plus NexArt's top-level receipt fields."""
        meta = self.meta()
        return {
            "certificateHash": self.entry.certificate_hash,
            "logIndex": self.entry.index,
            "created": self.created,
            "receipt": meta["receipt"],
            "signatureB64Url": self.entry.signature,
            "attestorKeyId": self.entry.kid,
            "nodeId": self.node_id,
            "attestation": meta,
        }


def dump_json(value: Any) -> bytes:
    """Compact JSON bytes; integers beyond 64 bits and lone surrogates (which orjson
    refuses) are written by the standard library, the surrogates as ``\\uXXXX`` escapes."""
    try:
        return orjson.dumps(value)
    except TypeError:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a hostile request: escape it
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def parse_submission(body: bytes) -> Submission:
    """Steps 1-2: parse and verify one request body (a bundle, or ``{"bundle": ...}``).

    Raises:
        InvalidRecordError: with the reason of the first failed check (``MALFORMED_JSON``,
            ``INPUT_TOO_DEEP``, ``SCHEMA_ERROR``, ``CERTIFICATE_HASH_MISMATCH``...).
    """
    document = loads(body, max_bytes=MAX_BODY_BYTES)
    wrapped = isinstance(document, Mapping) and "bundleType" not in document
    # Keep the bytes as sent (sigstore's habit: the record is its JSON).
    return check_submission(document, None if wrapped else body)


def check_submission(document: Any, body: bytes | None = None) -> Submission:
    """Step 2 for a parsed document: a sealed bundle (or ``{"bundle": ...}``) whose
    integrity holds. ``body`` is the bytes it was parsed from, stored as sent; without
    them (a wrapped record, one record of a batch) the bundle is stored re-serialized.

    Raises:
        InvalidRecordError: as :func:`parse_submission`, for the checks after parsing.
    """
    if isinstance(document, Mapping) and "bundleType" not in document and "bundle" in document:
        document, body = document["bundle"], None
    if not isinstance(document, Mapping):
        raise SchemaError("the request body must be a sealed bundle (a JSON object)")
    report = Report(certificate_hash=str(document.get("certificateHash", "")))
    if not check_integrity(document, report):
        first = report.failures[0]
        reason = Reason(first.reason) if first.reason in Reason.__members__ else None
        raise InvalidRecordError(f"{first.name}: {first.message}", reason)
    stored = dump_json(document) if body is None else body
    return Submission(str(document["certificateHash"]), stored, disclosure_digests(document))


def disclosure_digests(bundle: Mapping[str, Any]) -> tuple[str, str] | None:
    """The commitment view digests of a disclosable record that passed its integrity
    check, ``None`` for any other record.

    Raises:
        InvalidRecordError: ``DISCLOSURE_MALFORMED``: the node binds no block it cannot read.
    """
    snapshot = bundle["snapshot"]
    if FIELD not in snapshot:
        return None
    return view_digests(bundle)


def node_binding(
    entry: LogEntry,
    digests: tuple[str, str] | None,
    kid: str,
    private_key: Ed25519PrivateKey | None,
) -> dict[str, str] | None:
    """The node's disclosure binding of a disclosable record: the binding statement a
    producer signs (docs/spec.md §6.3), signed by the key of the record's receipt. None for
    other records, and when that key (``entry.kid``) is not the one signing now (``kid``)."""
    if digests is None or private_key is None or entry.kid != kid:
        return None
    commitments, root = digests
    message = binding_message(entry.certificate_hash, commitments, root)
    signature = b64url_encode(private_key.sign(message))  # Ed25519: the same every time
    return {"commitments": commitments, "root": root, "signature": signature}


def stored_digests(stored: bytes | None) -> tuple[str, str] | None:
    """:func:`disclosure_digests` of a stored bundle (None when it is not disclosable or
    no longer verifies: the record's page reports that)."""
    if stored is None or b'"disclosure"' not in stored:
        return None
    try:
        return parse_submission(stored).disclosure
    except InvalidRecordError:
        return None


def check_stored_bundle(certificate_hash: str, stored: bytes) -> Any:
    """The stored bundle of the leaf ``certificate_hash``, parsed, when it still is that
    record: well-formed, its integrity intact and its certificateHash the leaf's.

    Raises:
        InvalidRecordError: ``STORED_BUNDLE_MISMATCH``, saying what no longer holds.
    """
    try:
        submission = parse_submission(stored)
    except InvalidRecordError as exc:
        raise _mismatch(certificate_hash, f"it fails its own check ({exc})") from None
    if submission.certificate_hash != certificate_hash:
        raise _mismatch(certificate_hash, f"it is record {submission.certificate_hash[:80]}")
    # The standard library parser: orjson would read integers beyond 64 bits as floats.
    return json.loads(stored)


def _mismatch(certificate_hash: str, why: str) -> InvalidRecordError:
    return InvalidRecordError(
        f"the stored bundle of leaf {certificate_hash[:80]} no longer matches it: {why}",
        Reason.STORED_BUNDLE_MISMATCH,
    )
