"""Ed25519 keys and node key documents (docs/trust.md §2).

Private keys are PKCS#8 PEM files created with mode 0600 (``O_EXCL``: never overwritten).
A key id is derived from the public key alone (:func:`key_id`), so anyone can recompute it.
A :class:`KeyDocument` publishes a node's public keys with their lifecycle (``active``,
``retired``, ``revoked`` with a revocation time and reason), in cerkit's own JSON shape
(:meth:`KeyDocument.to_json`) or NexArt's ``/.well-known/nexart-node.json`` shape
(:meth:`KeyDocument.to_nexart_wellknown`); :meth:`KeyDocument.from_json` reads both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import stat
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, NewType

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cerkit.errors import InvalidRecordError, OperationalError, Reason

KeyId = NewType("KeyId", str)

KEY_DOCUMENT_FORMAT: Final[str] = "cerkit.keys.v1"
#: Most keys one document may list: rotation keeps old keys, but a document is small.
MAX_KEYS: Final[int] = 256
_KID_HEX: Final[int] = 16
_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")


class KeyState(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"  # no longer signs; still verifies what it signed while active
    REVOKED = "revoked"  # compromised or withdrawn: nothing dated at or after revokedAt counts


def b64url_encode(data: bytes) -> str:
    """Base64url without padding (RFC 4648 §5), as JWK and NexArt use it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: object) -> bytes:
    """Strict inverse of :func:`b64url_encode` (padding tolerated, nothing else).

    Raises:
        InvalidRecordError: ``MALFORMED_JSON`` when ``text`` is not base64url.
    """
    if not isinstance(text, str):
        raise InvalidRecordError("expected a base64url string", Reason.MALFORMED_JSON)
    body = text.rstrip("=")
    if not _B64URL.match(body) or len(body) % 4 == 1:
        raise InvalidRecordError("not a base64url string", Reason.MALFORMED_JSON)
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidRecordError(f"not base64url: {exc}", Reason.MALFORMED_JSON) from None
    if b64url_encode(raw) != body:  # non-canonical trailing bits
        raise InvalidRecordError("non-canonical base64url", Reason.MALFORMED_JSON)
    return raw


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    """A private key from its 32-byte seed (fixed keys for reproducible fixtures)."""
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_bytes(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key (RFC 8032)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_from_bytes(raw: bytes) -> Ed25519PublicKey:
    """Raises ``InvalidRecordError(KEY_DOCUMENT_INVALID)`` unless ``raw`` is 32 bytes."""
    if len(raw) != 32:
        raise InvalidRecordError("an Ed25519 public key is 32 bytes", Reason.KEY_DOCUMENT_INVALID)
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey | bytes) -> KeyId:
    """First 16 hex digits of SHA-256 of the raw public key.

    >>> key_id(bytes(32))
    '66687aadf862bd77'
    """
    raw = key if isinstance(key, bytes) else public_key_bytes(key)
    return KeyId(hashlib.sha256(raw).hexdigest()[:_KID_HEX])


def spki_der(raw: bytes) -> bytes:
    """SubjectPublicKeyInfo DER of a raw Ed25519 public key (RFC 8410)."""
    return public_key_from_bytes(raw).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def save_private_key(key: Ed25519PrivateKey, path: str | Path) -> None:
    """Write ``key`` as PKCS#8 PEM to a new file with mode 0600; never overwrites.

    Raises:
        OperationalError: the file exists or cannot be written.
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OperationalError(f"cannot create key file {path}: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
        handle.flush()
        os.fsync(handle.fileno())


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """Read a private key written by :func:`save_private_key`.

    Refuses files readable by group or others, as ssh does.

    Raises:
        OperationalError: the file cannot be read or is group/world accessible.
        InvalidRecordError: ``KEY_DOCUMENT_INVALID`` when it holds no Ed25519 private key.
    """
    try:
        mode = os.stat(path).st_mode
        data = Path(path).read_bytes()
    except OSError as exc:
        raise OperationalError(f"cannot read key file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise OperationalError(f"key file {path} is accessible by others; chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InvalidRecordError(
            f"{path} holds no readable private key", Reason.KEY_DOCUMENT_INVALID
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidRecordError(f"{path} is not an Ed25519 key", Reason.KEY_DOCUMENT_INVALID)
    return key


def ensure_private_key(path: str | Path) -> Ed25519PrivateKey:
    """The private key in ``path``, generated and saved (0600) first when there is none.

    Raises:
        OperationalError, InvalidRecordError: as :func:`load_private_key` and
            :func:`save_private_key`.
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        save_private_key(generate_private_key(), path)
    return load_private_key(path)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """One public key of a node, with its lifecycle."""

    kid: KeyId
    public_key: bytes  # raw 32 bytes
    state: KeyState = KeyState.ACTIVE
    created_at: str = ""
    retired_at: str = ""
    revoked_at: str = ""
    reason: str = ""

    def verifier(self) -> Ed25519PublicKey:
        return public_key_from_bytes(self.public_key)


@dataclass(frozen=True, slots=True)
class KeyDocument:
    """A node's published keys. ``origin`` names its log in checkpoints (C2SP)."""

    node_id: str
    keys: tuple[KeyEntry, ...]
    origin: str = ""

    @property
    def log_origin(self) -> str:
        return self.origin or self.node_id

    @property
    def active(self) -> KeyEntry | None:
        """The newest active key, or None when every key is retired or revoked."""
        actives = [k for k in self.keys if k.state is KeyState.ACTIVE]
        return actives[-1] if actives else None

    def find(self, kid: str) -> KeyEntry | None:
        """The key with exactly this ``kid``; never a fallback to another key."""
        return next((k for k in self.keys if k.kid == kid), None)

    def with_key(self, entry: KeyEntry) -> KeyDocument:
        if self.find(entry.kid):
            raise InvalidRecordError(f"key {entry.kid} already listed", Reason.KEY_DOCUMENT_INVALID)
        return replace(self, keys=(*self.keys, entry))

    def with_state(self, kid: str, state: KeyState, at: str, reason: str = "") -> KeyDocument:
        """A copy with key ``kid`` moved to ``retired`` or ``revoked`` at time ``at``."""
        entry = self.find(kid)
        if entry is None:
            raise InvalidRecordError(f"no key {kid}", Reason.RECEIPT_KEY_UNKNOWN)
        if state is KeyState.RETIRED:
            if entry.state is not KeyState.ACTIVE:
                return self
            new = replace(entry, state=state, retired_at=at)
        else:
            new = replace(entry, state=KeyState.REVOKED, revoked_at=at, reason=reason)
        return replace(self, keys=tuple(new if k.kid == kid else k for k in self.keys))

    def to_json(self) -> dict[str, Any]:
        """cerkit's key document, with lifecycle (``format: cerkit.keys.v1``)."""
        active = self.active
        return {
            "format": KEY_DOCUMENT_FORMAT,
            "nodeId": self.node_id,
            "origin": self.log_origin,
            "activeKid": active.kid if active else None,
            "keys": [_entry_json(k) for k in self.keys],
        }

    def to_nexart_wellknown(self) -> dict[str, Any]:
        """NexArt's ``/.well-known/nexart-node.json`` shape; lifecycle kept as extra fields."""
        active = self.active
        keys = []
        for k in self.keys:
            jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64url_encode(k.public_key), "kid": k.kid}
            spki = base64.b64encode(spki_der(k.public_key)).decode("ascii")
            keys.append(
                {**_entry_json(k), "alg": "EdDSA", "publicKeyJwk": jwk, "publicKeySpkiB64": spki}
            )
        return {
            "nodeId": self.node_id,
            "activeKid": active.kid if active else None,
            "origin": self.log_origin,
            "keys": keys,
        }

    @staticmethod
    def from_json(value: Any) -> KeyDocument:
        """Parse either shape (ours or NexArt's well-known document).

        Raises:
            InvalidRecordError: ``KEY_DOCUMENT_INVALID`` on anything malformed.
        """
        if isinstance(value, dict) and "keys" not in value and "publicKeys" in value:
            value = {**value, "keys": value["publicKeys"]}  # NexArt's alternative name
        if not isinstance(value, dict) or not isinstance(value.get("keys"), list):
            raise _invalid("a key document is an object with a keys array")
        node_id = value.get("nodeId")
        if not isinstance(node_id, str) or not node_id:
            raise _invalid("nodeId must be a non-empty string")
        if len(value["keys"]) > MAX_KEYS:
            raise _invalid(f"more than {MAX_KEYS} keys")
        entries = tuple(_entry_from_json(item) for item in value["keys"])
        if len({e.kid for e in entries}) != len(entries):
            raise _invalid("duplicate kid")
        if value.get("format") == KEY_DOCUMENT_FORMAT:
            # Our kids are derived from the key: a mismatch means an edited document.
            for entry in entries:
                if entry.kid != key_id(entry.public_key):
                    raise _invalid(f"kid {entry.kid} does not match its public key")
        origin = value.get("origin", "")
        if not isinstance(origin, str):
            raise _invalid("origin must be a string")
        return KeyDocument(node_id=node_id, keys=entries, origin=origin)


def _invalid(message: str) -> InvalidRecordError:
    return InvalidRecordError(f"key document: {message}", Reason.KEY_DOCUMENT_INVALID)


def _entry_json(entry: KeyEntry) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kid": entry.kid,
        "alg": "Ed25519",
        "publicKey": b64url_encode(entry.public_key),
        "status": str(entry.state),
    }
    for name, value in (
        ("createdAt", entry.created_at),
        ("retiredAt", entry.retired_at),
        ("revokedAt", entry.revoked_at),
        ("revocationReason", entry.reason),
    ):
        if value:
            out[name] = value
    return out


def _raw_public_key(item: dict[str, Any]) -> bytes:
    """The raw key from ``publicKey`` (ours), or NexArt's ``publicKeyJwk`` / ``publicKeySpkiB64``
    (base64, standard or url alphabet, as NexArt's verifier reads it)."""
    try:
        if isinstance(item.get("publicKey"), str):
            return b64url_decode(item["publicKey"])
        jwk = item.get("publicKeyJwk") or item.get("jwk")
        if isinstance(jwk, dict):
            if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                raise _invalid("jwk must be kty OKP, crv Ed25519")
            x = jwk.get("x")
            if not isinstance(x, str):
                raise _invalid("jwk.x must be a string")
            return b64url_decode(x)
        spki = item.get("publicKeySpkiB64") or item.get("spki")
        if isinstance(spki, str):
            der = base64.b64decode(spki.replace("-", "+").replace("_", "/"), validate=True)
            key = serialization.load_der_public_key(der)
            if not isinstance(key, Ed25519PublicKey):
                raise _invalid("spki is not an Ed25519 key")
            return public_key_bytes(key)
    except (ValueError, binascii.Error, UnsupportedAlgorithm, InvalidRecordError) as exc:
        raise _invalid(f"unreadable public key ({exc})") from None
    raise _invalid("key entry has no publicKey, jwk or spki")


def _entry_from_json(item: Any) -> KeyEntry:
    if not isinstance(item, dict):
        raise _invalid("each key is an object")
    raw = _raw_public_key(item)
    public_key_from_bytes(raw)
    kid = item.get("kid", item.get("id"))  # NexArt's verifier also accepts "id"
    if not isinstance(kid, str) or not kid:
        raise _invalid("each key needs a kid")
    try:
        state = KeyState(item.get("status", "active"))
    except ValueError:
        raise _invalid(f"unknown key status {item.get('status')!r}") from None
    texts = {}
    for name in ("createdAt", "retiredAt", "revokedAt", "revocationReason"):
        value = item.get(name, "")
        if not isinstance(value, str):
            raise _invalid(f"{name} must be a string")
        texts[name] = value
    if state is KeyState.REVOKED and not texts["revokedAt"]:
        raise _invalid(f"revoked key {kid} has no revokedAt")
    return KeyEntry(
        kid=KeyId(kid),
        public_key=raw,
        state=state,
        created_at=texts["createdAt"],
        retired_at=texts["retiredAt"],
        revoked_at=texts["revokedAt"],
        reason=texts["revocationReason"],
    )
