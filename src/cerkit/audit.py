"""Offline audit of a whole log: rebuild the tree from every entry and hold it to what the
node signed (docs/trust.md §7).

:func:`audit_log` takes the leaf data of every entry in log order (the UTF-8 bytes of each
record's certificateHash), the node's signed checkpoint (already verified with
:func:`cerkit.checkpoint.open_checkpoint`), optionally earlier checkpoints saved by the
auditor, and optionally per-entry expectations (e.g. ``{logIndex: certificateHash}`` from
receipts the auditor holds). It reports whether the entries produce the signed roots and,
where the evidence allows, the first index that is missing or rewritten. Pure: the caller
downloads the entries and verifies the checkpoint signatures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from cerkit.checkpoint import Checkpoint
from cerkit.errors import Reason
from cerkit.merkle import MerkleTree, leaf_hash


@dataclass(frozen=True, slots=True)
class TreeAudit:
    """What an audit found. ``first_bad_index`` is exact when known; otherwise
    ``bad_range`` is the half-open range of indices where the damage must be."""

    entries: int
    checkpoint: Checkpoint
    ok: bool
    reason: Reason = Reason.OK
    first_bad_index: int | None = None
    bad_range: tuple[int, int] | None = None
    problems: tuple[str, ...] = ()
    verified_checkpoints: tuple[int, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "reason": str(self.reason),
            "entries": self.entries,
            "checkpointSize": self.checkpoint.size,
            "firstBadIndex": self.first_bad_index,
            "badRange": list(self.bad_range) if self.bad_range else None,
            "problems": list(self.problems),
            "verifiedCheckpointSizes": list(self.verified_checkpoints),
        }


def hash_leaves(leaves: Iterable[bytes]) -> list[bytes]:
    """RFC 6962 leaf hashes (:func:`cerkit.merkle.leaf_hash`) of many leaves."""
    return list(map(leaf_hash, leaves))


def _check_expected(
    hashes: Sequence[bytes], expected: Mapping[int, bytes], problems: list[str]
) -> tuple[int | None, Reason]:
    """Step (1): the first index whose entry is missing or is not the expected leaf."""
    for index in sorted(expected):
        if index >= len(hashes):
            problems.append(f"entry {index} (named by a receipt) is missing")
            return index, Reason.LOG_ENTRY_MISSING
        if hashes[index] != leaf_hash(expected[index]):
            problems.append(f"entry {index} is not the record its receipt names")
            return index, Reason.LOG_ENTRY_MISMATCH
    return None, Reason.OK


def audit_log(
    leaves: Iterable[bytes],
    checkpoint: Checkpoint,
    *,
    previous: Sequence[Checkpoint] = (),
    expected: Mapping[int, bytes] | None = None,
) -> TreeAudit:
    """Audit every entry of a log against its signed checkpoint(s).

    Args:
        leaves: the leaf data of every entry, in log order (index 0 first).
        checkpoint: the node's latest signed checkpoint (signature already verified).
        previous: earlier checkpoints of the same log the auditor saved; each must be a
            prefix of the log (consistency, checked directly against the rebuilt tree).
        expected: leaf data the auditor expects at some indices (from receipts).

    Returns:
        A :class:`TreeAudit`; ``ok`` is True only when every root matches and every
        expectation holds.
    """
    hashes = hash_leaves(leaves)
    count = len(hashes)
    tree = MerkleTree.from_leaf_hashes(hashes)
    problems: list[str] = []
    # (1) per-entry expectations pinpoint a deleted, inserted or rewritten entry
    first_bad, reason = _check_expected(hashes, expected or {}, problems)
    # (2) every checkpoint's root must come out of the entries (a prefix for older ones)
    verified: list[int] = []
    good_size, bad_size = 0, None
    for cp in sorted([*previous, checkpoint], key=lambda c: c.size):
        if cp.size > count:
            problems.append(f"checkpoint of size {cp.size} but only {count} entries")
            bad_size = bad_size if bad_size is not None else cp.size
            if first_bad is None or count < first_bad:
                first_bad, reason = count, Reason.LOG_ENTRY_MISSING
            continue
        if tree.root(cp.size) == cp.root:
            verified.append(cp.size)
            if bad_size is None:
                good_size = cp.size
            continue
        problems.append(f"entries do not produce the signed root of size {cp.size}")
        bad_size = bad_size if bad_size is not None else cp.size
        if reason is Reason.OK:
            reason = Reason.LOG_ENTRY_MISMATCH
    bad_range = (good_size, bad_size) if bad_size is not None else None
    if first_bad is None and bad_range and bad_range[1] - bad_range[0] == 1:
        first_bad = bad_range[0]  # the checkpoints alone pin it down
    return TreeAudit(
        entries=count,
        checkpoint=checkpoint,
        ok=not problems,
        reason=reason,
        first_bad_index=first_bad,
        bad_range=bad_range,
        problems=tuple(problems),
        verified_checkpoints=tuple(verified),
    )
