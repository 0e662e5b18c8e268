"""RFC 6962 hashing and RFC 9162 proofs: published vectors, a naive tree, and tampering."""

from __future__ import annotations

import hashlib
from functools import cache

import pytest

from cerkit.audit import audit_log, hash_leaves
from cerkit.checkpoint import Checkpoint
from cerkit.errors import InvalidRecordError, Reason
from cerkit.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    record_leaf,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

# Known answers from transparency-dev/merkle, proof/verify_test.go (the RFC 6962 reference
# test data shared with Certificate Transparency's merkle_test): the eight leaf inputs, the
# roots of the trees of sizes 1..8, and some of their inclusion and consistency proofs.
# Indices in the Go file are 1-based ({leaf, size, proof}); here they are 0-based.
LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243",
          "5051525354555657", "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip

NAIVE_MAX = 300


def _h(values: list[str]) -> list[bytes]:
    return [bytes.fromhex(v) for v in values]


@pytest.fixture(scope="module")
def vector_tree() -> MerkleTree:
    tree = MerkleTree()
    for data in LEAVES:
        tree.append(leaf_hash(data))
    return tree


def test_leaf_and_node_hashes_use_rfc6962_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )
    assert record_leaf("sha256:00") == leaf_hash(b"sha256:00")
    assert (
        MerkleTree().root()
        == EMPTY_ROOT
        == bytes.fromhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    )


def test_roots_match_the_reference_vectors(vector_tree: MerkleTree) -> None:
    for size, root in enumerate(ROOTS, start=1):
        assert vector_tree.root(size).hex() == root
        assert (
            MerkleTree.from_leaf_hashes([leaf_hash(x) for x in LEAVES[:size]]).root().hex() == root
        )


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_reference_vectors(
    vector_tree: MerkleTree, index: int, size: int, proof: list[str]
) -> None:
    assert vector_tree.inclusion_proof(index, size) == _h(proof)
    verify_inclusion(
        leaf_hash(LEAVES[index]), index, size, _h(proof), bytes.fromhex(ROOTS[size - 1])
    )


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_reference_vectors(
    vector_tree: MerkleTree, old: int, new: int, proof: list[str]
) -> None:
    assert vector_tree.consistency_proof(old, new) == _h(proof)
    verify_consistency(
        old, new, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1]), _h(proof)
    )


@pytest.fixture(scope="module")
def naive() -> tuple[list[bytes], object]:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(NAIVE_MAX)]

    @cache
    def mth(lo: int, hi: int) -> bytes:
        """RFC 6962 §2.1 MTH, written as the recursion reads (memoized)."""
        if hi - lo == 1:
            return leaves[lo]
        k = 1
        while k * 2 < hi - lo:
            k *= 2
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    return leaves, mth


def _naive_path(mth: object, m: int, lo: int, hi: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[lo:hi]) as written."""
    if hi - lo == 1:
        return []
    k = 1
    while k * 2 < hi - lo:
        k *= 2
    if m < k:
        return [*_naive_path(mth, m, lo, lo + k), mth(lo + k, hi)]  # type: ignore[operator]
    return [*_naive_path(mth, m - k, lo + k, hi), mth(lo, lo + k)]  # type: ignore[operator]


def _naive_subproof(mth: object, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b) as written."""
    if m == hi - lo:
        return [] if whole else [mth(lo, hi)]  # type: ignore[operator]
    k = 1
    while k * 2 < hi - lo:
        k *= 2
    if m <= k:
        return [*_naive_subproof(mth, m, lo, lo + k, whole), mth(lo + k, hi)]  # type: ignore[operator]
    return [*_naive_subproof(mth, m - k, lo + k, hi, False), mth(lo, lo + k)]  # type: ignore[operator]


def test_every_size_index_and_pair_up_to_300_agrees_with_a_naive_tree(naive: tuple) -> None:
    leaves, mth = naive
    tree = MerkleTree()
    for leaf in leaves:
        tree.append(leaf)
    for size in range(1, NAIVE_MAX + 1):
        root = mth(0, size)
        assert tree.root(size) == root
        for index in range(size):
            proof = tree.inclusion_proof(index, size)
            assert proof == _naive_path(mth, index, 0, size)
            verify_inclusion(leaves[index], index, size, proof, root)
        for old in range(1, size + 1):
            proof = tree.consistency_proof(old, size)
            if old < size:
                assert proof == _naive_subproof(mth, old, 0, size, True)
            verify_consistency(old, size, mth(0, old), root, proof)


def test_bulk_build_equals_incremental_appends(naive: tuple) -> None:
    leaves, mth = naive
    for size in (1, 2, 3, 5, 64, 65, 127, 300):
        bulk = MerkleTree.from_leaf_hashes(leaves[:size])
        assert bulk.root() == mth(0, size)
        assert bulk.inclusion_proof(size - 1) == _naive_path(mth, size - 1, 0, size)
        bulk.append(leaf_hash(b"next"))
        assert bulk.size == size + 1


def _inclusion_fails(leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes) -> None:
    with pytest.raises(InvalidRecordError) as info:
        verify_inclusion(leaf, index, size, proof, root)
    assert info.value.reason is Reason.INCLUSION_PROOF_INVALID


def test_tampered_inclusion_proofs_fail_with_inclusion_proof_invalid(
    vector_tree: MerkleTree,
) -> None:
    # The corruptions of transparency-dev/merkle's corruptInclusionProof.
    for index, size, hexes in INCLUSION:
        proof, root, leaf = _h(hexes), bytes.fromhex(ROOTS[size - 1]), leaf_hash(LEAVES[index])
        some = bytes.fromhex("abacaba0" * 8)
        for i, s in (
            (index - 1, size),
            (index + 1, size),
            (index ^ 2, size),
            (index, size * 2),
            (index, size // 2),
        ):
            if (i, s) != (index, size):
                _inclusion_fails(leaf, i, s, proof, root)
        _inclusion_fails(leaf_hash(b"WrongLeaf"), index, size, proof, root)
        _inclusion_fails(leaf, index, size, proof, EMPTY_ROOT)
        _inclusion_fails(leaf, index, size, proof, some)
        _inclusion_fails(leaf, index, size, [*proof, root], root)
        _inclusion_fails(leaf, index, size, [root, *proof], root)
        _inclusion_fails(leaf, index, size, [*proof, b""], root)
        _inclusion_fails(leaf, index, size, proof[:-1], root)
        for k in range(len(proof)):
            flipped = list(proof)
            flipped[k] = bytes([proof[k][0] ^ 8]) + proof[k][1:]
            _inclusion_fails(leaf, index, size, flipped, root)
        if len(proof) > 1:
            _inclusion_fails(leaf, index, size, [proof[0], some, *proof[1:]], root)


def test_inclusion_of_a_single_leaf_tree_has_an_empty_proof() -> None:
    h = leaf_hash(b"data")
    verify_inclusion(h, 0, 1, [], h)
    assert root_from_inclusion_proof(h, 0, 1, []) == h
    for index, size in ((0, 0), (1, 0), (2, 1), (1, 1)):
        _inclusion_fails(h, index, size, [], h)


def _consistency_fails(old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes]) -> None:
    with pytest.raises(InvalidRecordError) as info:
        verify_consistency(old, new, r1, r2, proof)
    assert info.value.reason is Reason.CONSISTENCY_PROOF_INVALID


def test_tampered_consistency_proofs_fail_with_consistency_proof_invalid() -> None:
    # The corruptions of transparency-dev/merkle's corruptConsistencyProof.
    for old, new, hexes in CONSISTENCY:
        proof = _h(hexes)
        r1, r2 = bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1])
        for o, n in (
            (old - 1, new),
            (old + 1, new),
            (old ^ 2, new),
            (old, new * 2),
            (old, new // 2),
        ):
            if (o, n) != (old, new) and o != 0:
                _consistency_fails(o, n, r1, r2, proof)
        _consistency_fails(old, new, EMPTY_ROOT, r2, proof)
        _consistency_fails(old, new, r1, EMPTY_ROOT, proof)
        _consistency_fails(old, new, r2, r1, proof)
        _consistency_fails(old, new, r1, r2, [])
        for extra in (r1, r2, proof[0]):
            _consistency_fails(old, new, r1, r2, [*proof, extra])
            _consistency_fails(old, new, r1, r2, [extra, *proof])
        _consistency_fails(old, new, r1, r2, proof[:-1])
        for k in range(len(proof)):
            flipped = list(proof)
            flipped[k] = bytes([proof[k][0] ^ 16]) + proof[k][1:]
            _consistency_fails(old, new, r1, r2, flipped)


def test_trivial_consistency_cases_follow_the_reference_rules() -> None:
    r = bytes.fromhex(ROOTS[0])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, r, [])  # the empty tree is a prefix of every tree
    verify_consistency(1, 1, r, r, [])
    _consistency_fails(1, 1, r, EMPTY_ROOT, [])  # same size, two roots: a fork
    _consistency_fails(1, 1, r, r, [r])
    _consistency_fails(2, 1, r, r, [])  # time travel
    _consistency_fails(1, 2, r, r, [])


def test_proof_generation_rejects_sizes_outside_the_tree(vector_tree: MerkleTree) -> None:
    with pytest.raises(ValueError):
        vector_tree.inclusion_proof(8, 8)
    with pytest.raises(ValueError):
        vector_tree.consistency_proof(3, 9)
    with pytest.raises(ValueError):
        vector_tree.root(9)
    with pytest.raises(ValueError):
        vector_tree.append(b"short")


# -- offline audit of a whole log ---------------------------------------------------------


def _log(n: int) -> list[bytes]:
    return [f"sha256:{i:064x}".encode() for i in range(n)]


def _cp(entries: list[bytes], size: int) -> Checkpoint:
    return Checkpoint(
        "audit/log", size, MerkleTree.from_leaf_hashes(hash_leaves(entries[:size])).root()
    )


def test_audit_of_an_intact_log_passes_and_checks_every_saved_checkpoint() -> None:
    entries = _log(100)
    result = audit_log(entries, _cp(entries, 100), previous=[_cp(entries, 10), _cp(entries, 64)])
    assert result.ok and result.verified_checkpoints == (10, 64, 100)
    assert audit_log(entries, _cp(entries, 90)).ok  # entries appended after the checkpoint


def test_audit_finds_a_rewritten_entry_from_receipts() -> None:
    entries = _log(100)
    cp = _cp(entries, 100)
    tampered = list(entries)
    tampered[37] = b"sha256:" + b"f" * 64
    result = audit_log(tampered, cp, expected={i: entries[i] for i in range(0, 100, 1)})
    assert not result.ok
    assert (result.reason, result.first_bad_index) == (Reason.LOG_ENTRY_MISMATCH, 37)


def test_audit_finds_a_deleted_entry_from_receipts() -> None:
    entries = _log(100)
    cp = _cp(entries, 100)
    deleted = entries[:50] + entries[51:]
    result = audit_log(deleted, cp, expected={i: entries[i] for i in (10, 50, 99)})
    assert not result.ok and result.first_bad_index == 50
    result = audit_log(deleted, cp)  # without receipts: the root does not match
    assert not result.ok and result.reason is Reason.LOG_ENTRY_MISSING
    assert result.first_bad_index == 99


def test_audit_narrows_a_rewrite_between_saved_checkpoints() -> None:
    entries = _log(100)
    saved = [_cp(entries, s) for s in (20, 40, 41, 60)]
    tampered = list(entries)
    tampered[40] = b"sha256:" + b"e" * 64
    result = audit_log(tampered, _cp(entries, 100), previous=saved)
    assert not result.ok and result.reason is Reason.LOG_ENTRY_MISMATCH
    assert result.bad_range == (40, 41) and result.first_bad_index == 40
    assert result.verified_checkpoints == (20, 40)
