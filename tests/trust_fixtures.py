"""Reproducible trust material for tests: fixed keys, a frozen clock, an offline "node".

:class:`OfflineNode` does what the attestation node does for one record, with the same
library calls (append the leaf, sign the receipt, sign a checkpoint, prove inclusion), so
the verifier can be tested without a server.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cerkit.attestation import attestation_meta, make_receipt, sign_receipt
from cerkit.checkpoint import Checkpoint, sign_checkpoint
from cerkit.keys import KeyDocument, KeyEntry, KeyState, key_id, private_key_from_seed
from cerkit.keys import public_key_bytes as raw
from cerkit.merkle import MerkleTree, leaf_hash, record_leaf
from cerkit.seal import seal_args
from cerkit.signing import sign_bundle

NODE_KEY = private_key_from_seed(b"\x01" * 32)
NEXT_NODE_KEY = private_key_from_seed(b"\x02" * 32)
PRODUCER_KEY = private_key_from_seed(b"\x03" * 32)
OTHER_KEY = private_key_from_seed(b"\x04" * 32)
NODE_ID = "node-test"
ORIGIN = "cerkit.test/node-test"
T0 = "2026-01-01T00:00:00.000Z"


def record(n: int = 0, created_at: str = T0) -> dict[str, Any]:
    """A sealed bundle, the same for the same ``n``."""
    args = {
        "executionId": f"exec-{n}",
        "timestamp": created_at,
        "provider": "local",
        "model": "tiny",
        "prompt": "be brief",
        "input": f"question {n}",
        "output": {"answer": n},
        "parameters": {"temperature": 0, "maxTokens": 16},
    }
    return seal_args(args, created_at=created_at)


def entry(key: Ed25519PrivateKey, state: KeyState = KeyState.ACTIVE, **times: str) -> KeyEntry:
    return KeyEntry(key_id(key), raw(key), state, created_at=T0, **times)


def document(*entries: KeyEntry) -> KeyDocument:
    return KeyDocument(node_id=NODE_ID, keys=entries or (entry(NODE_KEY),), origin=ORIGIN)


@dataclass
class OfflineNode:
    key: Ed25519PrivateKey = NODE_KEY
    tree: MerkleTree = field(default_factory=MerkleTree)
    notes: list[str] = field(default_factory=list)

    def pad(self, count: int) -> None:
        """Other producers' records, so proofs have some length."""
        for i in range(count):
            self.tree.append(leaf_hash(f"other-{self.tree.size}-{i}".encode()))

    def checkpoint(self) -> str:
        cp = Checkpoint(ORIGIN, self.tree.size, self.tree.root())
        note = sign_checkpoint(cp, ORIGIN, self.key)
        self.notes.append(note)
        return note

    def attest(
        self, bundle: dict[str, Any], timestamp: str = T0, **receipt_fields: Any
    ) -> dict[str, Any]:
        """A copy of ``bundle`` with ``meta.attestation`` from this node; ``receipt_fields``
        are added to the signed receipt."""
        cert = bundle["certificateHash"]
        index = self.tree.append(record_leaf(cert))
        self.pad(3)
        receipt = make_receipt(cert, timestamp, NODE_ID, key_id(self.key), index)
        receipt.update(receipt_fields)
        signature = sign_receipt(receipt, self.key)
        proof = self.tree.inclusion_proof(index)
        meta = attestation_meta(receipt, signature, proof, self.tree.size, self.checkpoint())
        out = copy.deepcopy(bundle)
        out.setdefault("meta", {})["attestation"] = meta
        return out


def full_record(node: OfflineNode | None = None, n: int = 0) -> dict[str, Any]:
    """Sealed, producer-signed, attested and logged."""
    node = node or OfflineNode()
    node.pad(5)
    return node.attest(sign_bundle(record(n), PRODUCER_KEY))


def yes_no_args(
    execution_id: str = "e1",
    question: str = "Is order 99 refundable?",
    *,
    created_at: bool = True,
) -> dict[str, Any]:
    """The arguments of a small yes/no execution sealed at ``T0`` (the disclosure tests)."""
    args: dict[str, Any] = {
        "executionId": execution_id,
        "provider": "openai",
        "model": "gpt-4o",
        "prompt": "Answer yes or no.",
        "input": {"messages": [{"role": "user", "content": question}]},
        "output": "yes",
        "parameters": {"temperature": 0, "maxTokens": 1},
        "timestamp": T0,
    }
    if created_at:
        args["createdAt"] = T0
    return args
