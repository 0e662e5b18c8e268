"""The attestation node's logic, free of HTTP: validate, append, sign, prove.

:class:`NodeService` owns the in-memory Merkle tree (rebuilt from the log store at start,
extended on every append) and signs receipts and checkpoints with the node key. Its methods
block (they touch the store) and are safe to call from worker threads; the HTTP layer
(:mod:`cerkit.node.app`) runs them off the event loop, and :mod:`cerkit.node.batcher`
groups concurrent attestations into one :meth:`NodeService.commit`.

Attest, for one record (docs/node.md):

1. parse the body with the limits of :mod:`cerkit.jsonio`;
2. verify integrity (layer 1): the certificateHash and input/output hashes recompute;
3. append the leaf durably (idempotent: a known certificateHash keeps its index);
4. answer with the signed receipt, its inclusion proof and the signed checkpoint
   of the tree size the proof is against.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cerkit.attestation import attestation_meta, make_receipt, sign_receipt
from cerkit.audit import hash_leaves
from cerkit.checkpoint import Checkpoint, sign_checkpoint
from cerkit.errors import (
    InvalidRecordError,
    OperationalError,
    Reason,
    RequestError,
    SchemaError,
)
from cerkit.jsonio import loads
from cerkit.keys import KeyDocument, key_id
from cerkit.ledger.base import LogEntry, LogStore
from cerkit.merkle import MerkleTree, record_leaf
from cerkit.node.limits import MAX_BODY_BYTES
from cerkit.seal import iso_now
from cerkit.verify import Report, verify_bundle
from cerkit.verify.integrity import check_integrity

#: Entries read per store query while rebuilding the tree.
_REBUILD_PAGE = 100_000


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """Who the node is: its signing key and the key document it publishes."""

    private_key: Ed25519PrivateKey
    document: KeyDocument
    kid: str = field(init=False)  # derived once: every receipt names it

    def __post_init__(self) -> None:
        object.__setattr__(self, "kid", key_id(self.private_key))

    @property
    def node_id(self) -> str:
        return self.document.node_id

    @property
    def origin(self) -> str:
        return self.document.log_origin


@dataclass(frozen=True, slots=True)
class Submission:
    """A validated bundle ready to append."""

    certificate_hash: str
    bundle_json: bytes


@dataclass(frozen=True, slots=True)
class AttestedRecord:
    """One record's answer: its log entry, the proof and the checkpoint it is proved under."""

    entry: LogEntry
    created: bool
    tree_size: int
    proof: list[bytes]
    checkpoint: str
    node_id: str

    @property
    def receipt(self) -> dict[str, Any]:
        e = self.entry
        return make_receipt(e.certificate_hash, e.timestamp, self.node_id, e.kid, e.index)

    def meta(self) -> dict[str, Any]:
        """The ``meta.attestation`` object a client adds to the record."""
        return attestation_meta(
            self.receipt, self.entry.signature, self.proof, self.tree_size, self.checkpoint
        )

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
    """Compact JSON bytes; integers beyond 64 bits (which orjson refuses) are written
    exactly by the standard library."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_submission(body: bytes) -> Submission:
    """Steps 1-2: parse and verify one request body (a bundle, or ``{"bundle": ...}``).

    Raises:
        InvalidRecordError: with the reason of the first failed check (``MALFORMED_JSON``,
            ``INPUT_TOO_DEEP``, ``SCHEMA_ERROR``, ``CERTIFICATE_HASH_MISMATCH``...).
    """
    document = loads(body, max_bytes=MAX_BODY_BYTES)
    wrapped = isinstance(document, Mapping) and "bundleType" not in document
    if wrapped and "bundle" in document:
        document = document["bundle"]
    if not isinstance(document, Mapping):
        raise SchemaError("the request body must be a sealed bundle (a JSON object)")
    report = Report(certificate_hash=str(document.get("certificateHash", "")))
    if not check_integrity(document, report):
        first = report.failures[0]
        reason = Reason(first.reason) if first.reason in Reason.__members__ else None
        raise InvalidRecordError(f"{first.name}: {first.message}", reason)
    # Keep the bytes as sent (sigstore's habit: the record is its JSON).
    stored = dump_json(document) if wrapped else body
    return Submission(str(document["certificateHash"]), stored)


class NodeService:
    """The log, its tree and the node key, behind blocking, thread-safe methods."""

    def __init__(
        self, store: LogStore, identity: NodeIdentity, *, clock: Callable[[], str] = iso_now
    ) -> None:
        self.store = store
        self.identity = identity
        self._clock = clock
        self._lock = threading.Lock()
        self._checkpoint: tuple[int, str] = (-1, "")
        self._tree = self._rebuild()

    @property
    def size(self) -> int:
        return self._tree.size

    # -- writes ---------------------------------------------------------------------------

    def _stamp(self, index: int, certificate_hash: str) -> LogEntry:
        """Date and sign the receipt for a new leaf (called inside the append transaction)."""
        ident = self.identity
        timestamp = self._clock()
        receipt = make_receipt(certificate_hash, timestamp, ident.node_id, ident.kid, index)
        signature = sign_receipt(receipt, ident.private_key)
        return LogEntry(index, certificate_hash, timestamp, ident.kid, signature)

    def commit(self, submissions: Sequence[Submission]) -> list[AttestedRecord]:
        """Step 3-4 for a batch: one durable append, one checkpoint, one proof each."""
        items = [(s.certificate_hash, s.bundle_json) for s in submissions]
        appended = self.store.append(items, self._stamp)
        with self._lock:
            self._sync_locked(appended.size, appended.entries)
            size = self._tree.size
            note = self._checkpoint_locked(size)
            return [
                AttestedRecord(
                    entry,
                    created,
                    size,
                    self._tree.inclusion_proof(entry.index, size),
                    note,
                    self.identity.node_id,
                )
                for entry, created in zip(appended.entries, appended.created, strict=True)
            ]

    # -- the tree -------------------------------------------------------------------------

    def _rebuild(self) -> MerkleTree:
        """The whole tree from the store, in bulk (a million leaves in about two seconds)."""
        size = self.store.size()
        leaves: list[bytes] = []
        for start in range(0, size, _REBUILD_PAGE):
            leaves.extend(self._leaf_data(start, min(size, start + _REBUILD_PAGE)))
        return MerkleTree.from_leaf_hashes(hash_leaves(leaves))

    def _leaf_data(self, start: int, stop: int) -> list[bytes]:
        """Leaf data of entries ``[start, stop)``, refusing a log with a gap."""
        rows = self.store.hashes(start, stop)
        if len(rows) != stop - start:
            missing = next((start + i for i, (idx, _) in enumerate(rows) if idx != start + i), None)
            index = missing if missing is not None else start + len(rows)
            raise OperationalError(
                f"log store has no entry {index}: the log has a gap", Reason.STORE_ERROR
            )
        return [cert.encode("utf-8") for _, cert in rows]

    def _sync_locked(self, target: int, known: Sequence[LogEntry] = ()) -> None:
        """Extend the tree to ``target`` leaves, using ``known`` entries and reading the
        rest from the store (entries other replicas appended)."""
        tree = self._tree
        by_index = {e.index: e for e in known if e.index >= tree.size}
        while tree.size < target:
            entry = by_index.get(tree.size)
            if entry is not None:
                tree.append(record_leaf(entry.certificate_hash))
                continue
            stop = min([target, tree.size + _REBUILD_PAGE, *(i for i in by_index if i > tree.size)])
            for leaf in hash_leaves(self._leaf_data(tree.size, stop)):
                tree.append(leaf)

    def sync(self, target: int | None = None) -> int:
        """Catch up with entries appended by other replicas; return the tree size."""
        size = self.store.size() if target is None else target
        if size > self._tree.size:
            with self._lock:
                self._sync_locked(size)
        return self._tree.size

    def _checkpoint_locked(self, size: int) -> str:
        if self._checkpoint[0] != size:
            ident = self.identity
            cp = Checkpoint(ident.origin, size, self._tree.root(size))
            self._checkpoint = (size, sign_checkpoint(cp, ident.origin, ident.private_key))
        return self._checkpoint[1]

    # -- reads ----------------------------------------------------------------------------

    def checkpoint(self, *, fresh: bool = True) -> str:
        """The signed checkpoint of the latest tree (after catching up when ``fresh``)."""
        if fresh:
            self.sync()
        with self._lock:
            return self._checkpoint_locked(self._tree.size)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """``PATH(index, D[0:size])``; ``size`` must not exceed the log."""
        self._require_size(size)
        if not 0 <= index < size:
            raise _bad_request(f"no leaf {index} in a tree of size {size}")
        with self._lock:
            return self._tree.inclusion_proof(index, size)

    def consistency(self, old_size: int, size: int) -> list[bytes]:
        self._require_size(size)
        if not 0 <= old_size <= size:
            raise _bad_request(f"no consistency proof from {old_size} to {size}")
        with self._lock:
            return self._tree.consistency_proof(old_size, size)

    def root(self, size: int) -> bytes:
        self._require_size(size)
        with self._lock:
            return self._tree.root(size)

    def _require_size(self, size: int) -> None:
        if size > self._tree.size and self.sync() < size:
            raise _bad_request(f"tree size {size} is beyond the log size {self._tree.size}")

    def attestation_of(self, certificate_hash: str) -> AttestedRecord | None:
        """The current answer for a logged record (proved under the latest checkpoint)."""
        entry = self.store.entry(certificate_hash)
        if entry is None:
            return None
        self._require_size(entry.index + 1)
        with self._lock:
            size = self._tree.size
            note = self._checkpoint_locked(size)
            proof = self._tree.inclusion_proof(entry.index, size)
        return AttestedRecord(entry, False, size, proof, note, self.identity.node_id)

    def verify(self, body: bytes) -> dict[str, Any]:
        """``POST /v1/verify``: the offline verifier's report, trusting this node's keys."""
        from cerkit.verify import TrustStore

        document = loads(body, max_bytes=MAX_BODY_BYTES)
        trust = TrustStore(node_documents=[self.identity.document])
        report: Report = verify_bundle(document, source="request", trust=trust)
        return report.to_dict()


def _bad_request(message: str) -> RequestError:
    return RequestError(message, Reason.BAD_REQUEST)
