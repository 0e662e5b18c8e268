"""The node checks its own store: is the stored log still the log it signed?

Run at start and every :data:`~cerkit.node.limits.LOG_CHECK_SECONDS` (docs/node.md,
"What the node checks"):

1. read every leaf of the stored log and rebuild its tree (a gap is a failure);
2. for each reference the node holds (its last checkpoint saved in
   :class:`~cerkit.node.state.CheckpointFile`, and, once running, the tree it has signed
   since), the stored tree must be at least as large (else rows were deleted: truncation);
3. and the RFC 9162 §2.1.4 consistency proof from the reference's size to the stored size,
   computed from the stored tree, must verify against the reference's root (else a row was
   rewritten, or the log replaced).

Pure apart from reading the store: the caller decides what to do with a failure (the node
refuses to sign, fails readiness, logs it and counts it).
"""

from __future__ import annotations

from dataclasses import dataclass

from cerkit.audit import hash_leaves
from cerkit.errors import InvalidRecordError, OperationalError, Reason
from cerkit.ledger.base import LogStore
from cerkit.merkle import MerkleTree, verify_consistency

#: Entries read per store query while rebuilding the tree.
REBUILD_PAGE = 100_000


@dataclass(frozen=True, slots=True)
class Reference:
    """A tree head the node vouched for: ``size`` leaves with root ``root``."""

    size: int
    root: bytes
    source: str  # e.g. "the checkpoint saved in keys/checkpoint.note"


def leaf_data(store: LogStore, start: int, stop: int) -> list[bytes]:
    """Leaf data of entries ``[start, stop)``, refusing a log with a gap."""
    rows = store.hashes(start, stop)
    if len(rows) != stop - start:
        missing = next((start + i for i, (idx, _) in enumerate(rows) if idx != start + i), None)
        index = missing if missing is not None else start + len(rows)
        raise OperationalError(
            f"log store has no entry {index}: the log has a gap", Reason.STORE_ERROR
        )
    return [cert.encode("utf-8") for _, cert in rows]


def rebuild(store: LogStore) -> MerkleTree:
    """Step 1: the whole stored tree, in bulk (a million leaves in about two seconds)."""
    size = store.size()
    leaves: list[bytes] = []
    for start in range(0, size, REBUILD_PAGE):
        leaves.extend(leaf_data(store, start, min(size, start + REBUILD_PAGE)))
    return MerkleTree.from_leaf_hashes(hash_leaves(leaves))


def inconsistency(stored: MerkleTree, references: list[Reference]) -> str | None:
    """Steps 2-3: why ``stored`` is not a continuation of every reference, or None."""
    for ref in references:
        if stored.size < ref.size:
            return (
                f"the stored log has {stored.size} entries, fewer than the {ref.size} of"
                f" {ref.source}: entries were deleted (truncated log)"
            )
        proof = stored.consistency_proof(ref.size, stored.size)
        try:
            verify_consistency(ref.size, stored.size, ref.root, stored.root(), proof)
        except InvalidRecordError:
            return (
                f"the stored log of {stored.size} entries is not consistent with {ref.source}"
                f" (size {ref.size}): an entry was rewritten or the log replaced"
            )
    return None
