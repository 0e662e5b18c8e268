"""The transparency log's Merkle tree: RFC 6962 §2.1 hashing, RFC 9162 §2.1 proofs.

Pure and small. :class:`MerkleTree` keeps the hash of every complete (power-of-two, aligned)
subtree, level by level, in one ``bytearray`` per level, so appends cost one leaf copy and on
average one node hash, and any root, inclusion proof or consistency proof needs O(log n)
hashes. :func:`verify_inclusion` and :func:`verify_consistency` transcribe the verification
algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 and raise :class:`InvalidRecordError` with a
specific reason code; asking a tree for a size, leaf or proof it does not hold raises
:class:`TreeRangeError`.

The leaf data for a record is the UTF-8 bytes of its ``certificateHash`` string
(``"sha256:<hex>"``); see :func:`record_leaf`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

from cerkit.errors import InvalidRecordError, Reason, TreeRangeError

HASH_SIZE: Final[int] = 32

#: Longest proof accepted: a tree of at most 2^64 leaves has proofs of at most 64 hashes
#: (inclusion) or 64 + 1 (consistency); anything longer is malformed, not merely wrong.
MAX_PROOF_HASHES: Final[int] = 65

#: RFC 6962 §2.1: the hash of an empty tree is the hash of the empty string.
EMPTY_ROOT: Final[bytes] = hashlib.sha256(b"").digest()

_LEAF_PREFIX: Final[bytes] = b"\x00"
_NODE_PREFIX: Final[bytes] = b"\x01"
_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 §2.1: ``MTH({d}) = SHA-256(0x00 || d)``."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 §2.1: an interior node is ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def record_leaf(certificate_hash: str) -> bytes:
    """The leaf hash of a record: its ``certificateHash`` string as UTF-8 leaf data."""
    return leaf_hash(certificate_hash.encode("utf-8"))


def _split(n: int) -> int:
    """RFC 9162 §2.1.1: the largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class MerkleTree:
    """An append-only RFC 6962 tree of leaf hashes.

    ``_levels[h]`` holds, back to back, the 32-byte hashes of every complete subtree of
    ``2**h`` leaves, in order: level 0 holds the leaf hashes.

    >>> tree = MerkleTree()
    >>> tree.append(leaf_hash(b"a"))
    0
    >>> tree.root() == leaf_hash(b"a")
    True
    """

    __slots__ = ("_levels", "_size")

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]
        self._size = 0

    @classmethod
    def from_leaf_hashes(cls, hashes: Iterable[bytes]) -> MerkleTree:
        """Build a tree from leaf hashes in bulk (much faster than appending one by one)."""
        tree = cls()
        level = b"".join(hashes)
        if len(level) % HASH_SIZE:
            raise TreeRangeError("leaf hashes must be 32 bytes each")
        tree._levels = [bytearray(level)]
        tree._size = len(level) // HASH_SIZE
        sha, prefix = _sha256, _NODE_PREFIX
        while len(level) >= 2 * HASH_SIZE:
            pairs = len(level) // (2 * HASH_SIZE)
            view = memoryview(level)
            level = b"".join(
                [sha(prefix + view[i : i + 64]).digest() for i in range(0, pairs * 64, 64)]
            )
            tree._levels.append(bytearray(level))
        return tree

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return self._size

    def append(self, leaf: bytes) -> int:
        """Append one leaf hash (see :func:`leaf_hash`); return its index."""
        if len(leaf) != HASH_SIZE:
            raise TreeRangeError("a leaf hash is 32 bytes")
        levels = self._levels
        index = self._size
        levels[0] += leaf
        self._size = index + 1
        height, n = 0, index + 1
        # Every time the count at a level becomes even, its last two nodes complete a parent.
        while n % 2 == 0:
            level = levels[height]
            parent = _sha256(_NODE_PREFIX + level[-64:]).digest()
            height += 1
            if height == len(levels):
                levels.append(bytearray())
            levels[height] += parent
            n //= 2
        return index

    def leaf(self, index: int) -> bytes:
        """The leaf hash at ``index``."""
        self._check_range(index, 1)
        return bytes(self._levels[0][index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def root(self, size: int | None = None) -> bytes:
        """The tree head ``MTH(D[0:size])`` (RFC 6962 §2.1), for the current or an older size."""
        size = self._size if size is None else size
        if not 0 <= size <= self._size:
            raise TreeRangeError(f"size {size} is outside 0..{self._size}")
        if size == 0:
            return EMPTY_ROOT
        return self._subtree(0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """``PATH(index, D[0:size])`` of RFC 9162 §2.1.3.1, leaf-side first."""
        return self.inclusion_proofs([index], size)[0]

    def inclusion_proofs(
        self, indices: Sequence[int], size: int | None = None
    ) -> list[list[bytes]]:
        """``PATH(i, D[0:size])`` for each index, as :meth:`inclusion_proof`. The subtrees the
        paths share (all of them, for the leaves of one appended batch, on the right edge of
        the tree) are computed once."""
        size = self._size if size is None else size
        for index in indices:
            if not 0 <= index < size <= self._size:
                raise TreeRangeError(f"no leaf {index} in a tree of size {size}")
        known: dict[tuple[int, int], bytes] = {}
        proofs: list[list[bytes]] = []
        for index in indices:
            path: list[bytes] = []
            lo, hi = 0, size
            while hi - lo > 1:
                k = _split(hi - lo)
                if index < lo + k:
                    span, hi = (lo + k, hi), lo + k
                else:
                    span, lo = (lo, lo + k), lo + k
                node = known.get(span)
                if node is None:
                    node = known[span] = self._subtree(*span)
                path.append(node)
            path.reverse()
            proofs.append(path)
        return proofs

    def consistency_proof(self, old_size: int, size: int | None = None) -> list[bytes]:
        """``PROOF(old_size, D[0:size])`` of RFC 9162 §2.1.4.1 (empty when nothing to prove)."""
        size = self._size if size is None else size
        if not 0 <= old_size <= size <= self._size:
            raise TreeRangeError(f"no consistency proof from {old_size} to {size}")
        if old_size in (0, size):
            return []
        collected: list[bytes] = []
        lo, hi, m, whole = 0, size, old_size, True
        while m != hi - lo:
            k = _split(hi - lo)
            if m <= k:
                collected.append(self._subtree(lo + k, hi))
                hi = lo + k
            else:
                collected.append(self._subtree(lo, lo + k))
                lo, m, whole = lo + k, m - k, False
        if not whole:  # SUBPROOF(m, D[m], false) = [MTH(D[m])]
            collected.append(self._subtree(lo, hi))
        collected.reverse()
        return collected

    def _subtree(self, lo: int, hi: int) -> bytes:
        """``MTH(D[lo:hi])`` for a subtree of the RFC's recursion: ``lo`` is aligned to the
        largest power of two not above ``hi - lo``, so the range splits into complete
        subtrees of decreasing size, folded from the right."""
        levels = self._levels
        n = hi - lo
        if n & (n - 1) == 0:  # a complete subtree (most proof nodes): one lookup
            height = n.bit_length() - 1
            start = (lo >> height) * HASH_SIZE
            return bytes(levels[height][start : start + HASH_SIZE])
        acc: bytes | None = None
        parts: list[bytes] = []
        while n:
            height = n.bit_length() - 1
            start = (lo >> height) * HASH_SIZE
            parts.append(bytes(levels[height][start : start + HASH_SIZE]))
            lo += 1 << height
            n -= 1 << height
        for part in reversed(parts):
            acc = part if acc is None else _sha256(_NODE_PREFIX + part + acc).digest()
        assert acc is not None
        return acc

    def _check_range(self, index: int, count: int) -> None:
        if not 0 <= index <= self._size - count:
            raise TreeRangeError(f"leaf {index} is outside a tree of size {self._size}")


def _bad(reason: Reason, message: str) -> InvalidRecordError:
    return InvalidRecordError(message, reason)


def _check_hashes(proof: Sequence[bytes], *hashes: bytes, reason: Reason) -> None:
    if len(proof) > MAX_PROOF_HASHES:
        raise _bad(reason, f"proof has {len(proof)} hashes, more than any tree needs")
    for value in (*proof, *hashes):
        if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
            raise _bad(reason, "every hash in a proof must be 32 bytes")


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2 steps 1-5 without the final comparison: the root the proof implies.

    Raises:
        InvalidRecordError: ``INCLUSION_PROOF_INVALID`` when the index is outside the tree
            or the proof has the wrong length for ``(index, size)``.
    """
    reason = Reason.INCLUSION_PROOF_INVALID
    _check_hashes(proof, leaf, reason=reason)
    if not 0 <= index < size:
        raise _bad(reason, f"leaf index {index} is outside a tree of size {size}")
    fn, sn, r = index, size - 1, bytes(leaf)
    for p in proof:
        if sn == 0:
            raise _bad(reason, "proof is longer than the path from leaf to root")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise _bad(reason, "proof is shorter than the path from leaf to root")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf`` is entry ``index`` of the tree of ``size`` whose head is ``root``.

    Raises:
        InvalidRecordError: reason ``INCLUSION_PROOF_INVALID``.
    """
    _check_hashes((), root, reason=Reason.INCLUSION_PROOF_INVALID)
    if root_from_inclusion_proof(leaf, index, size, proof) != root:
        raise _bad(Reason.INCLUSION_PROOF_INVALID, "inclusion proof does not lead to the root")


def verify_consistency(
    old_size: int, size: int, old_root: bytes, root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree ``(size, root)`` extends the tree ``(old_size, old_root)``
    (RFC 9162 §2.1.4.2).

    Raises:
        InvalidRecordError: reason ``CONSISTENCY_PROOF_INVALID``.
    """
    reason = Reason.CONSISTENCY_PROOF_INVALID
    _check_hashes(proof, old_root, root, reason=reason)
    if not 0 <= old_size <= size:
        raise _bad(reason, f"tree size went backwards from {old_size} to {size}")
    if old_size == 0 or old_size == size:
        # An empty tree is a prefix of every tree; equal sizes need equal roots.
        if proof:
            raise _bad(reason, "proof must be empty when there is nothing to prove")
        if old_size == size and old_root != root:
            raise _bad(reason, f"two different roots for the same tree size {size}")
        return
    if not proof:
        raise _bad(reason, "consistency proof is empty")
    path = list(proof)
    # Step 2: when old_size is a power of two, the old root is itself a node of the path.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, size - 1
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise _bad(reason, "consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise _bad(reason, "consistency proof is too short")
    if fr != old_root:
        raise _bad(reason, "consistency proof does not lead to the old root")
    if sr != root:
        raise _bad(reason, "consistency proof does not lead to the new root")
