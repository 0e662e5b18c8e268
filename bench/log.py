"""Transparency log: proofs at 1,000,000 leaves and a full offline audit of 1,000,000 records.

1. ``inclusion_proof_ms``: generate an inclusion proof with :class:`cerkit.merkle.MerkleTree`
   and verify it with :func:`cerkit.merkle.verify_inclusion`, averaged over random leaves
   of a 1,000,000-leaf tree. Floor: the same number of raw ``hashlib.sha256`` node hashes
   (what verification cannot avoid). Target: <= 1 ms.
2. ``consistency_proof_ms``: the same for a consistency proof between two random sizes.
3. ``audit_records_per_s``: :func:`cerkit.audit.audit_log` over the leaf data of 1,000,000
   records (their certificateHash strings) against a signed checkpoint whose signature is
   verified first: hash every leaf, rebuild every level of the tree, compare the root.
   Floor: the raw ``hashlib.sha256`` calls of the same rebuild (n leaf hashes + n - 1 node
   hashes) in the tightest Python loop. Target: >= 100,000 records/s.

The CPU may be shared with other work; numbers are then noisy upward (times) or downward
(rates). Run ``python bench/log.py [--leaves 1000000] [--json]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time

from cerkit.audit import audit_log
from cerkit.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from cerkit.keys import private_key_from_seed
from cerkit.merkle import MerkleTree, verify_consistency, verify_inclusion

ORIGIN = "bench.cerkit/log"
SAMPLES = 2000


def leaf_data(n: int) -> list[bytes]:
    """Certificate hashes as logged: ``sha256:<hex>`` strings as UTF-8."""
    return [
        b"sha256:" + hashlib.sha256(i.to_bytes(8, "big")).hexdigest().encode() for i in range(n)
    ]


def sha_floor(count: int) -> float:
    """Seconds for ``count`` raw SHA-256 node hashes of 65 bytes."""
    block = b"\x01" + bytes(64)
    sha = hashlib.sha256
    start = time.perf_counter()
    for _ in range(count):
        sha(block).digest()
    return time.perf_counter() - start


def bench_inclusion(tree: MerkleTree, rng: random.Random) -> tuple[float, float]:
    size, root = tree.size, tree.root()
    indices = [rng.randrange(size) for _ in range(SAMPLES)]
    start = time.perf_counter()
    hashes = 0
    for index in indices:
        proof = tree.inclusion_proof(index)
        verify_inclusion(tree.leaf(index), index, size, proof, root)
        hashes += len(proof)
    elapsed = time.perf_counter() - start
    return elapsed / SAMPLES * 1e3, sha_floor(hashes) / SAMPLES * 1e3


def bench_consistency(tree: MerkleTree, rng: random.Random) -> tuple[float, float]:
    size = tree.size
    pairs = []
    for _ in range(SAMPLES):
        old = rng.randrange(1, size)
        pairs.append((old, rng.randrange(old, size + 1)))
    roots = {s: tree.root(s) for pair in pairs for s in pair}
    start = time.perf_counter()
    hashes = 0
    for old, new in pairs:
        proof = tree.consistency_proof(old, new)
        verify_consistency(old, new, roots[old], roots[new], proof)
        hashes += 2 * len(proof)
    elapsed = time.perf_counter() - start
    return elapsed / SAMPLES * 1e3, sha_floor(hashes) / SAMPLES * 1e3


def bench_audit(data: list[bytes], note: str) -> tuple[float, float, bool]:
    key = private_key_from_seed(bytes(32))
    start = time.perf_counter()
    cp = open_checkpoint(note, ORIGIN, ORIGIN, key.public_key())
    result = audit_log(data, cp)
    audit_s = time.perf_counter() - start
    sha = hashlib.sha256
    start = time.perf_counter()
    level = [sha(b"\x00" + d).digest() for d in data]
    while len(level) > 1:
        level = [
            sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
    floor_s = time.perf_counter() - start
    return len(data) / audit_s, len(data) / floor_s, result.ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args(argv)
    rng = random.Random(6962)
    data = leaf_data(args.leaves)
    start = time.perf_counter()
    tree = MerkleTree()
    append = tree.append
    for d in data:
        append(hashlib.sha256(b"\x00" + d).digest())
    build_s = time.perf_counter() - start
    note = sign_checkpoint(
        Checkpoint(ORIGIN, tree.size, tree.root()), ORIGIN, private_key_from_seed(bytes(32))
    )
    inclusion_ms, inclusion_floor = bench_inclusion(tree, rng)
    consistency_ms, consistency_floor = bench_consistency(tree, rng)
    audit_rate, audit_floor, ok = bench_audit(data, note)
    if not ok:
        print("audit of an intact log failed", file=sys.stderr)
        return 1
    out = {
        "leaves": args.leaves,
        "build_appends_per_s": round(args.leaves / build_s),
        "inclusion_proof_ms": round(inclusion_ms, 4),
        "inclusion_floor_ms": round(inclusion_floor, 4),
        "consistency_proof_ms": round(consistency_ms, 4),
        "consistency_floor_ms": round(consistency_floor, 4),
        "audit_records_per_s": round(audit_rate),
        "audit_floor_records_per_s": round(audit_floor),
    }
    if args.json:
        print(json.dumps(out))
        return 0
    print(
        f"tree of {args.leaves:,} leaves built by append: {out['build_appends_per_s']:,} leaves/s"
    )
    print(
        f"inclusion proof + verify: {inclusion_ms:.4f} ms "
        f"(raw sha256 floor {inclusion_floor:.4f} ms, "
        f"x{inclusion_ms / inclusion_floor:.1f}; target <= 1 ms)"
    )
    print(
        f"consistency proof + verify: {consistency_ms:.4f} ms "
        f"(raw sha256 floor {consistency_floor:.4f} ms, x{consistency_ms / consistency_floor:.1f})"
    )
    print(
        f"full offline audit: {audit_rate:,.0f} records/s "
        f"(raw sha256 floor {audit_floor:,.0f} records/s, {audit_rate / audit_floor:.0%} of it; "
        "target >= 100,000/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
