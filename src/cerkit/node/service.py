"""The attestation node's logic, free of HTTP: validate, append, sign, prove.

:class:`NodeService` owns the in-memory Merkle tree (rebuilt from the log store at start,
extended on every append) and signs receipts and checkpoints with the node key. Its methods
block (they touch the store) and are safe to call from worker threads; the HTTP layer
(:mod:`cerkit.node.app`) runs them off the event loop, and :mod:`cerkit.node.batcher`
groups concurrent attestations into one :meth:`NodeService.commit`.

Attest, for one record (docs/node.md):

1. parse the body with the limits of :mod:`cerkit.jsonio`;
2. verify integrity (layer 1): the certificateHash and input/output hashes recompute
   (1-2: :func:`cerkit.node.submission.parse_submission`);
3. append the leaf durably (idempotent: a known certificateHash keeps its index);
4. answer with the signed receipt, its inclusion proof and the signed checkpoint
   of the tree size the proof is against.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cerkit.attestation import make_receipt, sign_receipt
from cerkit.audit import hash_leaves
from cerkit.checkpoint import Checkpoint, open_checkpoint_with, sign_checkpoint
from cerkit.errors import InvalidRecordError, OperationalError, Reason, RequestError
from cerkit.jsonio import loads
from cerkit.keyring import check_names
from cerkit.keys import KeyDocument, key_id
from cerkit.ledger.base import LogEntry, LogStore, Stamp
from cerkit.merkle import record_leaf
from cerkit.node import selfcheck
from cerkit.node.limits import MAX_BODY_BYTES
from cerkit.node.state import CheckpointFile
from cerkit.node.submission import AttestedRecord, Submission, node_binding, stored_digests
from cerkit.seal import iso_now
from cerkit.verify import Report, verify_bundle

_log = logging.getLogger("cerkit.node")


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """Who the node is: its signing key and the key document it publishes.

    ``private_key`` is None when the document has no active key left (revoked, retired):
    the node then publishes its document and signs nothing.
    """

    private_key: Ed25519PrivateKey | None
    document: KeyDocument
    kid: str = field(init=False)  # derived once: every receipt names it

    def __post_init__(self) -> None:
        # A name a checkpoint cannot carry would fail only after an append: refuse it here.
        check_names(self.document.node_id, self.document.origin)
        kid = key_id(self.private_key) if self.private_key is not None else ""
        object.__setattr__(self, "kid", kid)

    @property
    def node_id(self) -> str:
        return self.document.node_id

    @property
    def origin(self) -> str:
        return self.document.log_origin


class NodeService:
    """The log, its tree and the node key, behind blocking, thread-safe methods.

    Before anything is appended the node must be able to sign (an active key whose names a
    checkpoint can carry) and must trust its stored log (:mod:`cerkit.node.selfcheck`); when
    either fails it refuses every write and every proof with a reason code, and
    :meth:`problem` says why (``GET /ready`` answers 503 with it).
    """

    def __init__(
        self,
        store: LogStore,
        identity: NodeIdentity,
        *,
        clock: Callable[[], str] = iso_now,
        saved: CheckpointFile | None = None,
    ) -> None:
        self.store = store
        self.identity = identity
        self.saved = saved
        self._clock = clock
        self._lock = threading.Lock()
        self._checkpoint: tuple[int, str] = (-1, "")
        self._refusal: str | None = None
        self.save_error: str | None = None
        self._tree = selfcheck.rebuild(store)  # a gap refuses the start outright
        try:
            self._refuse(selfcheck.inconsistency(self._tree, self._saved_references()))
        except OperationalError as exc:  # an unreadable or foreign saved checkpoint
            self._refuse(exc.message)
        if self._refusal is None and identity.private_key is not None:
            self._remember(self.checkpoint(fresh=False))

    @property
    def size(self) -> int:
        return self._tree.size

    # -- trust in its own state -----------------------------------------------------------

    def problem(self) -> OperationalError | None:
        """Why the node cannot sign now (``LOG_INCONSISTENT``, ``NO_SIGNING_KEY``), or None."""
        if self._refusal is not None:
            return OperationalError(
                f"the node refuses to sign: {self._refusal}", Reason.LOG_INCONSISTENT
            )
        if self.identity.private_key is None:
            return self._no_key()
        return None

    @staticmethod
    def _no_key() -> OperationalError:
        return OperationalError(
            "the node has no active signing key (revoked or retired): it signs nothing",
            Reason.NO_SIGNING_KEY,
        )

    def _require_trusted(self) -> None:
        problem = self.problem()
        if problem is not None:
            raise problem

    def _refuse(self, why: str | None) -> None:
        if why is not None and why != self._refusal:
            _log.error("LOG_INCONSISTENT: %s; the node signs nothing until this is fixed", why)
        self._refusal = why

    def _saved_references(self) -> list[selfcheck.Reference]:
        """The node's last signed checkpoint from its file, opened with any of its keys."""
        if self.saved is None:
            return []
        note = self.saved.load()
        if note is None:
            return []
        where = f"the node's saved checkpoint {self.saved.path}"
        document = self.identity.document
        verifiers = [(document.log_origin, key.verifier()) for key in document.keys]
        try:
            cp = open_checkpoint_with(note, document.log_origin, verifiers)
        except InvalidRecordError as exc:
            raise OperationalError(f"{where}: {exc.message}", Reason.LOG_INCONSISTENT) from None
        return [selfcheck.Reference(cp.size, cp.root, where)]

    def check_log(self) -> str | None:
        """Prove the stored log consistent with what this node signed (selfcheck steps 1-3);
        on failure refuse to sign, on success after a failure resume. Returns the problem.

        Raises:
            OperationalError: the store could not be read (nothing is concluded then).
        """
        with self._lock:
            size, trusted = self._tree.size, self._refusal is None
            mine = selfcheck.Reference(size, self._tree.root(size), "the tree this node signed")
        try:
            stored = selfcheck.rebuild(self.store)
            references = self._saved_references() + ([mine] if trusted else [])
            why = selfcheck.inconsistency(stored, references)
        except OperationalError as exc:
            if exc.reason is not Reason.LOG_INCONSISTENT and "gap" not in exc.message:
                raise
            why = exc.message
        with self._lock:
            if why is None and self._refusal is not None:
                _log.warning("the stored log is consistent again; the node signs again")
                self._tree, self._checkpoint = stored, (-1, "")
            self._refuse(why)
        return why

    def _remember(self, note: str) -> None:
        """Save the checkpoint just signed; a failure is reported, never a lost receipt."""
        if self.saved is None:
            return
        try:
            self.saved.save(note)
            self.save_error = None
        except OperationalError as exc:
            if self.save_error is None:
                _log.error("%s", exc.message)
            self.save_error = exc.message

    def set_identity(self, identity: NodeIdentity) -> None:
        """Sign with ``identity`` from now on and publish its document (keys reloaded)."""
        with self._lock:
            self.identity = identity
            self._checkpoint = (-1, "")

    # -- writes ---------------------------------------------------------------------------

    def _stamper(self, ident: NodeIdentity, key: Ed25519PrivateKey) -> Stamp:
        """Dates and signs each new leaf's receipt with ``key``; called inside the append
        transaction, so raising here rolls the whole append back."""

        def stamp(index: int, certificate_hash: str) -> LogEntry:
            if index < self._tree.size:  # the store lost entries this node had signed
                self._refuse(
                    f"the store assigned index {index} but this node signed a tree of"
                    f" {self._tree.size} entries: entries were deleted (truncated log)"
                )
                self._require_trusted()
            timestamp = self._clock()
            receipt = make_receipt(certificate_hash, timestamp, ident.node_id, ident.kid, index)
            return LogEntry(
                index, certificate_hash, timestamp, ident.kid, sign_receipt(receipt, key)
            )

        return stamp

    def commit(self, submissions: Sequence[Submission]) -> list[AttestedRecord]:
        """Step 3-4 for a batch: one durable append, one checkpoint, one proof each.

        The batch is signed by the identity of its start, so a key revoked meanwhile cannot
        make it fail after its append (the next batch is refused instead).

        Raises:
            OperationalError: ``LOG_INCONSISTENT`` or ``NO_SIGNING_KEY`` before anything is
                appended; ``STORE_ERROR`` when the append failed (nothing was appended).
        """
        self._require_trusted()
        ident = self.identity
        key = ident.private_key
        if key is None:
            raise self._no_key()
        items = [(s.certificate_hash, s.bundle_json) for s in submissions]
        appended = self.store.append(items, self._stamper(ident, key))
        with self._lock:
            self._sync_locked(appended.size, appended.entries)
            size = self._tree.size
            note = self._checkpoint_locked(size, ident, key)
            proofs = self._tree.inclusion_proofs([e.index for e in appended.entries], size)
            results = [
                AttestedRecord(
                    entry,
                    created,
                    size,
                    proof,
                    note,
                    ident.node_id,
                    node_binding(entry, submission.disclosure, ident.kid, key),
                )
                for entry, created, proof, submission in zip(
                    appended.entries, appended.created, proofs, submissions, strict=True
                )
            ]
        self._remember(note)  # before any receipt is answered
        return results

    # -- the tree -------------------------------------------------------------------------

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
            page = tree.size + selfcheck.REBUILD_PAGE
            stop = min([target, page, *(i for i in by_index if i > tree.size)])
            for leaf in hash_leaves(selfcheck.leaf_data(self.store, tree.size, stop)):
                tree.append(leaf)

    def sync(self, target: int | None = None) -> int:
        """Catch up with entries appended by other replicas; return the tree size."""
        size = self.store.size() if target is None else target
        if size > self._tree.size:
            with self._lock:
                self._sync_locked(size)
        return self._tree.size

    def _checkpoint_locked(
        self, size: int, ident: NodeIdentity | None = None, key: Ed25519PrivateKey | None = None
    ) -> str:
        """The signed checkpoint of ``size`` leaves, by ``ident`` (default: the current one),
        cached while the identity stays current."""
        if ident is None or key is None:
            ident, key = self.identity, self.identity.private_key
            if key is None:
                raise self._no_key()
        current = ident is self.identity
        if self._checkpoint[0] != size or not current:
            cp = Checkpoint(ident.origin, size, self._tree.root(size))
            note = sign_checkpoint(cp, ident.origin, key)
            if not current:
                return note
            self._checkpoint = (size, note)
        return self._checkpoint[1]

    # -- reads ----------------------------------------------------------------------------

    def checkpoint(self, *, fresh: bool = True) -> str:
        """The signed checkpoint of the latest tree (after catching up when ``fresh``)."""
        self._require_trusted()
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
        self._require_trusted()  # proofs from a tree the node does not trust prove nothing
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
        ident, key = self.identity, self.identity.private_key
        stored = self.store.bundle(certificate_hash) if key is not None else None
        binding = node_binding(entry, stored_digests(stored), ident.kid, key)
        return AttestedRecord(entry, False, size, proof, note, ident.node_id, binding)

    def verify(self, body: bytes) -> dict[str, Any]:
        """``POST /v1/verify``: the offline verifier's report, trusting this node's keys."""
        from cerkit.verify import TrustStore

        document = loads(body, max_bytes=MAX_BODY_BYTES)
        trust = TrustStore(node_documents=[self.identity.document])
        report: Report = verify_bundle(document, source="request", trust=trust)
        return report.to_dict()


def _bad_request(message: str) -> RequestError:
    return RequestError(message, Reason.BAD_REQUEST)
