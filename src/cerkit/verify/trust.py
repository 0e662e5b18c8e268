"""What a verifier trusts: node key documents, producer keys, known checkpoints.

A :class:`TrustStore` is a value passed to :func:`cerkit.verify.verify_bundle`; nothing is
fetched. It is read from a trust file (:meth:`TrustStore.load`), which is either one node
key document (as written by ``cerkit keys export`` or served by a node under
``/.well-known/``) or a trust bundle ``{"nodes": [...], "producers": [...],
"checkpoints": [...]}``. An empty store trusts nothing, and every signature layer is
SKIPPED with ``NO_TRUSTED_KEYS``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cerkit.checkpoint import Checkpoint, open_checkpoint_with, peek_checkpoint
from cerkit.errors import CerkitError, InvalidRecordError, OperationalError, Reason
from cerkit.jsonio import load_file, loads
from cerkit.keys import (
    KeyDocument,
    KeyState,
    b64url_decode,
    b64url_encode,
    public_key_bytes,
)

TRUST_BUNDLE_FORMAT: Final[str] = "cerkit.trust.v1"

#: ``fetch(old_size, new_size, origin) -> proof hashes``: an optional way to obtain a
#: consistency proof (e.g. from a node), injected so the verifier itself stays offline.
ConsistencyFetcher = Callable[[int, int, str], Sequence[bytes]]


@dataclass(frozen=True)
class TrustStore:
    """Trusted node key documents, producer public keys (raw 32 bytes) and checkpoints."""

    node_documents: Sequence[KeyDocument] = ()
    producer_keys: Sequence[bytes] = ()
    checkpoints: Sequence[str] = ()
    consistency_fetcher: ConsistencyFetcher | None = field(default=None, compare=False)

    @property
    def has_node_keys(self) -> bool:
        return any(doc.keys for doc in self.node_documents)

    @classmethod
    def from_key_document(cls, document: Any) -> TrustStore:
        """Trust one node key document (ours or NexArt's), given as JSON text, bytes or value."""
        if isinstance(document, str | bytes):
            document = loads(document)
        return cls(node_documents=(KeyDocument.from_json(document),))

    @classmethod
    def from_json(cls, value: Any) -> TrustStore:
        """A key document or a trust bundle (see the module docstring)."""
        if isinstance(value, dict) and value.get("format") == TRUST_BUNDLE_FORMAT:
            nodes = tuple(KeyDocument.from_json(doc) for doc in _list(value, "nodes"))
            producers = tuple(_producer_key(item) for item in _list(value, "producers"))
            notes = tuple(_checkpoint_note(note) for note in _list(value, "checkpoints"))
            return cls(node_documents=nodes, producer_keys=producers, checkpoints=notes)
        return cls.from_key_document(value)

    @classmethod
    def load(cls, path: str | Path) -> TrustStore:
        """Read a trust file (key document or trust bundle)."""
        return cls.from_json(load_file(path))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": TRUST_BUNDLE_FORMAT,
            "nodes": [doc.to_json() for doc in self.node_documents],
            "producers": [{"publicKey": b64url_encode(raw)} for raw in self.producer_keys],
            "checkpoints": list(self.checkpoints),
        }

    def merged(self, other: TrustStore) -> TrustStore:
        return replace(
            self,
            node_documents=(*self.node_documents, *other.node_documents),
            producer_keys=(*self.producer_keys, *other.producer_keys),
            checkpoints=(*self.checkpoints, *other.checkpoints),
            consistency_fetcher=self.consistency_fetcher or other.consistency_fetcher,
        )

    def with_producer_key_file(self, path: str | Path) -> TrustStore:
        """Also trust the producer key(s) in ``path``: a PEM public or private key, or a
        key document (every key listed that is not revoked)."""
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise OperationalError(f"cannot read producer key {path}: {exc.strerror}") from None
        if data.lstrip().startswith(b"-----BEGIN"):
            return self.with_producer_key(data)
        return self.with_producer_key(load_file(path))

    def with_producer_key(self, material: object) -> TrustStore:
        """Also trust the producer key(s) in ``material``, held in memory: PEM text (public or
        private key), or a key document as JSON text or value (every key not revoked).

        Raises:
            InvalidRecordError: ``KEY_DOCUMENT_INVALID`` when it is neither.
        """
        if isinstance(material, str):
            material = material.encode("utf-8")
        if isinstance(material, bytes) and material.lstrip().startswith(b"-----BEGIN"):
            keys: tuple[bytes, ...] = (_pem_public_key(material),)
        else:
            value = loads(material) if isinstance(material, bytes) else material
            doc = KeyDocument.from_json(value)
            keys = tuple(k.public_key for k in doc.keys if k.state is not KeyState.REVOKED)
        return replace(self, producer_keys=(*self.producer_keys, *keys))

    def with_checkpoint(self, note: str) -> TrustStore:
        """Also trust a saved checkpoint (a signed note); its signature is checked at use.

        Raises:
            InvalidRecordError: ``KEY_DOCUMENT_INVALID`` when ``note`` is not a signed note.
        """
        return replace(self, checkpoints=(*self.checkpoints, _checkpoint_note(note)))

    def documents_for(self, node_id: str | None) -> list[KeyDocument]:
        """The trusted documents of ``node_id`` (all of them when ``node_id`` is None)."""
        return [d for d in self.node_documents if node_id is None or d.node_id == node_id]

    def latest_checkpoint(
        self, origin: str, verifiers: Sequence[tuple[str, Ed25519PublicKey]]
    ) -> tuple[Checkpoint, str] | None:
        """The largest trusted checkpoint of ``origin`` that verifies, with its note."""
        best: tuple[Checkpoint, str] | None = None
        for note in self.checkpoints:
            try:
                cp = open_checkpoint_with(note, origin, verifiers)
            except CerkitError:
                continue
            if best is None or cp.size > best[0].size:
                best = (cp, note)
        return best


def _invalid(message: str) -> InvalidRecordError:
    return InvalidRecordError(f"trust file: {message}", Reason.KEY_DOCUMENT_INVALID)


def _list(value: dict[str, Any], name: str) -> list[Any]:
    items = value.get(name, [])
    if not isinstance(items, list):
        raise _invalid(f"{name} must be an array")
    return items


def _checkpoint_note(note: Any) -> str:
    """A trusted checkpoint must at least parse: a garbage entry would otherwise be skipped
    silently at verification, and the consistency check it was meant for would never run.
    Its signature is checked at use, against the key document of its log."""
    if not isinstance(note, str):
        raise _invalid("checkpoints must be signed-note strings")
    try:
        peek_checkpoint(note)
    except CerkitError as exc:
        raise _invalid(f"checkpoint {note[:40]!r} is not a signed note: {exc.message}") from None
    return note


def _producer_key(item: Any) -> bytes:
    if not isinstance(item, dict):
        raise _invalid("each producer is an object with a publicKey")
    raw = b64url_decode(item.get("publicKey"))
    if len(raw) != 32:
        raise _invalid("producer publicKey must be a raw Ed25519 key")
    return raw


def _pem_public_key(data: bytes) -> bytes:
    try:
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            key: object = private.public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise _invalid("unreadable PEM key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise _invalid("producer key is not Ed25519")
    return public_key_bytes(key)
