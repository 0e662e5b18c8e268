"""Node receipts and the ``meta.attestation`` block (docs/trust.md §3).

The attestation node signs a receipt ``{certificateHash, timestamp, nodeId, kid, logIndex}``
(NexArt's receipt plus our ``logIndex``) with Ed25519 over its canonical JSON, and returns it
with the inclusion proof of the record's leaf and the signed checkpoint that proof leads to.
The node produces these with :func:`make_receipt`, :func:`sign_receipt` and
:func:`attestation_meta`, and :func:`attach_attestation` puts the block into a record's
``meta``; the verifier reads them back with :func:`parse_attestation`.
Pure: the timestamp is passed in.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeGuard

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cerkit.canonical import canonicalize
from cerkit.errors import CerkitError, InvalidRecordError, Reason, SchemaError
from cerkit.keys import b64url_decode, b64url_encode
from cerkit.merkle import HASH_SIZE, MAX_PROOF_HASHES

RECEIPT_FIELDS: Final[tuple[str, ...]] = ("certificateHash", "timestamp", "nodeId", "kid")
#: Largest receipt accepted: five short fields; NexArt adds a few more. Bounded so a hostile
#: receipt cannot make the verifier canonicalize megabytes.
MAX_RECEIPT_BYTES: Final[int] = 16 * 1024


def make_receipt(
    certificate_hash: str, timestamp: str, node_id: str, kid: str, log_index: int
) -> dict[str, Any]:
    """The receipt the node signs; ``timestamp`` is ISO 8601 UTC (``...Z``)."""
    return {
        "certificateHash": certificate_hash,
        "timestamp": timestamp,
        "nodeId": node_id,
        "kid": kid,
        "logIndex": log_index,
    }


def receipt_message(receipt: Mapping[str, Any]) -> bytes:
    """The signed bytes: the canonical JSON of the receipt (NexArt's rule)."""
    return canonicalize(dict(receipt))


def sign_receipt(receipt: Mapping[str, Any], private_key: Ed25519PrivateKey) -> str:
    """Base64url (no padding) Ed25519 signature over :func:`receipt_message`."""
    return b64url_encode(private_key.sign(receipt_message(receipt)))


def verify_receipt_signature(
    receipt: Mapping[str, Any], signature: str, public_key: Ed25519PublicKey
) -> None:
    """Raises ``InvalidRecordError(RECEIPT_SIGNATURE_INVALID)`` unless the signature holds."""
    try:
        raw = b64url_decode(signature)
        message = receipt_message(receipt)
    except CerkitError as exc:
        raise InvalidRecordError(
            f"receipt signature unreadable: {exc.message}", Reason.RECEIPT_SIGNATURE_INVALID
        ) from None
    if len(message) > MAX_RECEIPT_BYTES:
        raise InvalidRecordError("receipt too large", Reason.RECEIPT_MALFORMED)
    try:
        public_key.verify(raw, message)
    except InvalidSignature:
        raise InvalidRecordError(
            "receipt signature does not verify", Reason.RECEIPT_SIGNATURE_INVALID
        ) from None


def encode_hashes(hashes: list[bytes]) -> list[str]:
    """Standard base64 of each hash (``binascii`` directly: proofs are encoded for every
    receipt the node answers)."""
    return [binascii.b2a_base64(h, newline=False).decode("ascii") for h in hashes]


def decode_hashes(values: Any, reason: Reason = Reason.INCLUSION_PROOF_INVALID) -> list[bytes]:
    """Standard base64 hashes of a proof, each exactly 32 bytes."""
    if not isinstance(values, list) or len(values) > MAX_PROOF_HASHES:
        raise InvalidRecordError("proof hashes must be a short list", reason)
    out = []
    for value in values:
        try:
            raw = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
        except (binascii.Error, ValueError):
            raw = b""
        # Canonical base64 only: two spellings of one hash would let a changed byte pass.
        if len(raw) != HASH_SIZE or base64.b64encode(raw).decode("ascii") != value:
            raise InvalidRecordError("each proof hash is 32 bytes in canonical base64", reason)
        out.append(raw)
    return out


def attestation_meta(
    receipt: Mapping[str, Any],
    signature: str,
    inclusion_proof: list[bytes],
    tree_size: int,
    checkpoint_note: str,
) -> dict[str, Any]:
    """The ``meta.attestation`` block added to a record (NexArt's keys plus the log proof)."""
    return {
        "receipt": dict(receipt),
        "signatureB64Url": signature,
        "attestorKeyId": receipt["kid"],
        "nodeId": receipt["nodeId"],
        "logIndex": receipt["logIndex"],
        "inclusionProof": {"treeSize": tree_size, "hashes": encode_hashes(inclusion_proof)},
        "checkpoint": checkpoint_note,
    }


def attach_attestation(bundle: Mapping[str, Any], attestation: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``bundle`` with ``meta.attestation`` set; the certificateHash is unchanged.

    The copy is shallow (``meta`` is new, the hashed fields are shared), as
    :func:`cerkit.signing.sign_bundle` does for ``meta.producer``.

    >>> attach_attestation({"certificateHash": "sha256:ab", "meta": {"x": 1}}, {"logIndex": 0})
    {'certificateHash': 'sha256:ab', 'meta': {'x': 1, 'attestation': {'logIndex': 0}}}

    Raises:
        SchemaError: ``meta`` is not an object.
    """
    meta = bundle.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise SchemaError("meta must be an object")
    attested = dict(bundle)
    attested["meta"] = {**meta, "attestation": dict(attestation)}
    return attested


@dataclass(frozen=True, slots=True)
class LogProof:
    """The log part of an attestation: where the leaf is and the checkpoint it is proved to."""

    log_index: int
    tree_size: int
    hashes: tuple[bytes, ...]
    checkpoint: str


@dataclass(frozen=True, slots=True)
class Attestation:
    """A typed view of ``meta.attestation``; ``raw`` keeps the original object."""

    receipt: Mapping[str, Any]
    signature: str
    kid: str
    log: LogProof | None
    raw: Mapping[str, Any]


def _is_index(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 63


def parse_attestation(block: Any) -> Attestation:
    """Read ``meta.attestation``. The log part is None when the block carries no proof.

    Raises:
        InvalidRecordError: ``RECEIPT_MALFORMED`` (receipt part) or
            ``INCLUSION_PROOF_INVALID`` (log part) when a present field has the wrong shape.
    """
    if not isinstance(block, Mapping):
        raise InvalidRecordError("meta.attestation must be an object", Reason.RECEIPT_MALFORMED)
    receipt, signature = block.get("receipt"), block.get("signatureB64Url")
    if not isinstance(receipt, Mapping) or not isinstance(signature, str):
        raise InvalidRecordError(
            "meta.attestation needs a receipt object and signatureB64Url",
            Reason.RECEIPT_MALFORMED,
        )
    kid = receipt.get("kid", receipt.get("attestorKeyId", block.get("attestorKeyId")))
    if not isinstance(kid, str) or not kid:
        raise InvalidRecordError("receipt names no key id", Reason.RECEIPT_MALFORMED)
    log = None
    if "inclusionProof" in block or "checkpoint" in block:
        log = _parse_log(block, receipt)
    return Attestation(receipt=receipt, signature=signature, kid=kid, log=log, raw=block)


def _parse_log(block: Mapping[str, Any], receipt: Mapping[str, Any]) -> LogProof:
    bad = Reason.INCLUSION_PROOF_INVALID
    proof, note = block.get("inclusionProof"), block.get("checkpoint")
    index = receipt.get("logIndex", block.get("logIndex"))
    if not isinstance(proof, Mapping) or not isinstance(note, str):
        raise InvalidRecordError("inclusionProof and checkpoint must both be present", bad)
    size = proof.get("treeSize")
    if not _is_index(index) or not _is_index(size):
        raise InvalidRecordError("logIndex and treeSize must be non-negative integers", bad)
    hashes = decode_hashes(proof.get("hashes"))
    return LogProof(log_index=index, tree_size=size, hashes=tuple(hashes), checkpoint=note)


def parse_time(text: Any) -> datetime | None:
    """An ISO 8601 timestamp with a zone (``Z`` or offset), or None when it is not one."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None
