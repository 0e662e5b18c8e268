"""Producer signatures (``meta.producer``, trust layer 2; docs/trust.md §4).

The producer signs, with Ed25519, the domain-separated message
``b"cerkit.producer.v1\\n" + certificateHash`` so the signature binds the record's identity
and cannot be replayed as any other kind of cerkit signature. ``meta`` is outside the
certificate hash, so signing never changes the record's identity.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cerkit.digest import is_digest
from cerkit.disclosure.commitments import FIELD, view_digests
from cerkit.errors import CerkitError, InvalidRecordError, Reason, SchemaError
from cerkit.keys import (
    KeyId,
    b64url_decode,
    b64url_encode,
    key_id,
    public_key_bytes,
    public_key_from_bytes,
)

PRODUCER_DOMAIN: Final[bytes] = b"cerkit.producer.v1\n"
#: A disclosable record's producer also signs the digests of its commitment view
#: (docs/spec.md §7.4), which binds every redacted copy to the original certificateHash.
BINDING_DOMAIN: Final[bytes] = b"cerkit.disclosure.binding.v1\n"
ALGORITHM: Final[str] = "Ed25519"


def producer_message(certificate_hash: str) -> bytes:
    """The exact bytes a producer signs for a record."""
    return PRODUCER_DOMAIN + certificate_hash.encode("utf-8")


def binding_message(certificate_hash: str, commitments: str, root: str) -> bytes:
    """The exact bytes a producer signs to bind a disclosable record's commitment view."""
    return BINDING_DOMAIN + f"{certificate_hash}\n{commitments}\n{root}".encode()


def producer_meta(certificate_hash: str, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The ``meta.producer`` object for a record with this certificateHash."""
    signature = private_key.sign(producer_message(certificate_hash))
    return {
        "alg": ALGORITHM,
        "kid": key_id(private_key),
        "publicKey": b64url_encode(public_key_bytes(private_key)),
        "signature": b64url_encode(signature),
    }


def sign_bundle(bundle: Mapping[str, Any], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """A copy of ``bundle`` with ``meta.producer`` set; the certificateHash is unchanged.

    The bundle's own hashes are not recomputed here: sign what you verified.

    Raises:
        SchemaError: the bundle has no ``certificateHash`` string or ``meta`` is not an object.
    """
    cert = bundle.get("certificateHash")
    if not isinstance(cert, str) or not cert.startswith("sha256:"):
        raise SchemaError("a bundle to sign needs a certificateHash")
    meta = bundle.get("meta", {})
    if not isinstance(meta, Mapping):
        raise SchemaError("meta must be an object")
    producer = producer_meta(cert, private_key)
    snapshot = bundle.get("snapshot")
    if isinstance(snapshot, Mapping) and FIELD in snapshot:
        commitments, root = view_digests(bundle)
        signature = private_key.sign(binding_message(cert, commitments, root))
        producer["disclosure"] = {
            "commitments": commitments,
            "root": root,
            "signature": b64url_encode(signature),
        }
    signed = copy.copy(dict(bundle))
    signed["meta"] = {**meta, "producer": producer}
    return signed


def verify_binding(producer: Mapping[str, Any], certificate_hash: str) -> tuple[str, str]:
    """Check the disclosure binding of a ``meta.producer`` whose signature over the
    certificateHash already verified; return the ``(commitments, root)`` it signs.

    Raises:
        InvalidRecordError: ``PRODUCER_SIGNATURE_INVALID`` when malformed or not verifying.
    """
    try:
        public_key = public_key_from_bytes(b64url_decode(producer.get("publicKey")))
    except CerkitError:
        raise _invalid("the producer's disclosure binding does not verify") from None
    return binding_digests(
        producer.get("disclosure"), certificate_hash, public_key, "meta.producer.disclosure"
    )


def binding_digests(
    binding: Any,
    certificate_hash: str,
    public_key: Ed25519PublicKey,
    where: str,
    reason: Reason = Reason.PRODUCER_SIGNATURE_INVALID,
) -> tuple[str, str]:
    """The ``(commitments, root)`` a disclosure binding ``{commitments, root, signature}``
    (at ``where``) states for ``certificate_hash``, its signature checked with ``public_key``.

    Raises:
        InvalidRecordError: with ``reason`` when malformed or not verifying.
    """
    if not isinstance(binding, Mapping):
        raise InvalidRecordError(f"{where} must be an object", reason)
    commitments, root = binding.get("commitments"), binding.get("root")
    if not is_digest(commitments) or not is_digest(root):
        raise InvalidRecordError(f"{where} must carry two sha256 digests", reason)
    try:
        raw = b64url_decode(binding.get("signature"))
        public_key.verify(raw, binding_message(certificate_hash, str(commitments), str(root)))
    except (CerkitError, InvalidSignature):
        raise InvalidRecordError(
            f"the disclosure binding at {where} does not verify", reason
        ) from None
    return str(commitments), str(root)


def _invalid(message: str) -> InvalidRecordError:
    return InvalidRecordError(message, Reason.PRODUCER_SIGNATURE_INVALID)


def verify_producer(producer: Any, certificate_hash: str) -> tuple[KeyId, bytes]:
    """Check ``meta.producer`` against the record's certificateHash.

    This proves only that the holder of ``publicKey`` signed the record; whether that key
    is trusted is the caller's decision (:mod:`cerkit.verify.producer`).

    Returns:
        ``(kid, raw public key)``.

    Raises:
        InvalidRecordError: ``PRODUCER_SIGNATURE_INVALID`` for a certificateHash that is not
            a ``sha256:<hex>`` digest, any malformed field, a kid
            that is not derived from the public key, or a signature that does not verify.
    """
    if not is_digest(certificate_hash):  # e.g. a lone surrogate, which has no UTF-8 bytes
        raise _invalid("the record's certificateHash is not a sha256 digest")
    if not isinstance(producer, Mapping):
        raise _invalid("meta.producer must be an object")
    if producer.get("alg") != ALGORITHM:
        raise _invalid(f"unsupported producer algorithm {producer.get('alg')!r}")
    try:
        raw = b64url_decode(producer.get("publicKey"))
        signature = b64url_decode(producer.get("signature"))
        public_key = public_key_from_bytes(raw)
    except CerkitError as exc:
        raise _invalid(f"meta.producer: {exc.message}") from None
    kid = key_id(raw)
    if producer.get("kid") != kid:
        raise _invalid("meta.producer.kid is not the id of its public key")
    if len(signature) != 64:
        raise _invalid("an Ed25519 signature is 64 bytes")
    try:
        public_key.verify(signature, producer_message(certificate_hash))
    except InvalidSignature:
        raise _invalid("producer signature does not verify for this certificateHash") from None
    return kid, raw
