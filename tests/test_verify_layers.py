"""Verification layers 2-4: producer signature, node receipt, transparency log."""

from __future__ import annotations

import base64
import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cerkit.attestation import sign_receipt
from cerkit.checkpoint import Checkpoint, sign_checkpoint
from cerkit.errors import Reason
from cerkit.keys import KeyDocument, KeyState, b64url_decode, b64url_encode, public_key_bytes
from cerkit.merkle import MerkleTree
from cerkit.signing import sign_bundle
from cerkit.verify import Layer, Report, Status, TrustStore, verify_bundle
from trust_fixtures import (
    NEXT_NODE_KEY,
    NODE_ID,
    NODE_KEY,
    ORIGIN,
    OTHER_KEY,
    PRODUCER_KEY,
    OfflineNode,
    document,
    entry,
    full_record,
    record,
)

VECTORS = Path(__file__).parent / "vectors" / "nexart"


def trust(doc: KeyDocument | None = None, **extra: Any) -> TrustStore:
    return TrustStore(
        node_documents=(doc or document(),),
        producer_keys=(public_key_bytes(PRODUCER_KEY),),
        **extra,
    )


def reasons(report: Report) -> set[str]:
    return {str(c.reason) for c in report.failures}


def assert_fails(
    bundle: dict[str, Any], *expected: Reason, store: TrustStore | None = None
) -> None:
    report = verify_bundle(bundle, trust=store or trust())
    assert not report.ok, f"verified after tampering: {report.to_dict()}"
    assert reasons(report) & {str(r) for r in expected}, reasons(report)


def _flip_char(text: str, i: int) -> str:
    return text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1 :]


# -- assurance levels ---------------------------------------------------------------------


def test_assurance_rises_from_sealed_to_logged() -> None:
    node = OfflineNode()
    sealed = record()
    signed = sign_bundle(sealed, PRODUCER_KEY)
    logged = node.attest(signed)
    attested = copy.deepcopy(logged)
    for name in ("inclusionProof", "checkpoint"):
        del attested["meta"]["attestation"][name]
    levels = [
        verify_bundle(b, trust=trust()).assurance.label for b in (sealed, signed, attested, logged)
    ]
    assert levels == ["sealed", "signed", "attested", "logged"]


def test_without_trust_material_every_signature_layer_is_skipped_never_passed() -> None:
    report = verify_bundle(full_record(), trust=None)
    assert report.verdict == "VERIFIED" and report.assurance.label == "sealed"
    for layer in (Layer.PRODUCER_SIGNATURE, Layer.NODE_RECEIPT, Layer.TRANSPARENCY_LOG):
        assert report.layer_status(layer) is Status.SKIPPED
    assert {str(c.reason) for c in report.checks if c.layer is not Layer.INTEGRITY} == {
        "NO_TRUSTED_KEYS"
    }
    assert verify_bundle(full_record(), trust=TrustStore()).assurance.label == "sealed"


# -- producer signature -------------------------------------------------------------------


def test_producer_signature_by_untrusted_key_fails() -> None:
    bundle = sign_bundle(record(), OTHER_KEY)
    assert_fails(bundle, Reason.PRODUCER_KEY_UNTRUSTED)


def test_producer_signature_with_replaced_public_key_fails() -> None:
    bundle = sign_bundle(record(), PRODUCER_KEY)
    bundle["meta"]["producer"]["publicKey"] = b64url_encode(public_key_bytes(OTHER_KEY))
    assert_fails(bundle, Reason.PRODUCER_SIGNATURE_INVALID)


def test_changing_any_character_of_the_producer_signature_fails() -> None:
    base = sign_bundle(record(), PRODUCER_KEY)
    signature = base["meta"]["producer"]["signature"]
    for i in range(len(signature)):
        bundle = copy.deepcopy(base)
        bundle["meta"]["producer"]["signature"] = _flip_char(signature, i)
        assert_fails(bundle, Reason.PRODUCER_SIGNATURE_INVALID)


def test_producer_signature_moved_to_another_record_fails() -> None:
    other = record(1)
    other["meta"] = {"producer": sign_bundle(record(), PRODUCER_KEY)["meta"]["producer"]}
    assert_fails(other, Reason.PRODUCER_SIGNATURE_INVALID)


# -- single-byte tampering ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("snapshot", "output", "answer"), Reason.OUTPUT_HASH_MISMATCH),
        (("snapshot", "input"), Reason.INPUT_HASH_MISMATCH),
        (("snapshot", "model"), Reason.CERTIFICATE_HASH_MISMATCH),
        (("snapshot", "parameters", "maxTokens"), Reason.CERTIFICATE_HASH_MISMATCH),
        (("createdAt",), Reason.CERTIFICATE_HASH_MISMATCH),
        (("certificateHash",), Reason.CERTIFICATE_HASH_MISMATCH),
    ],
)
def test_changing_hashed_content_fails(path: tuple[str, ...], expected: Reason) -> None:
    bundle = full_record()
    parent = bundle
    for name in path[:-1]:
        parent = parent[name]
    value = parent[path[-1]]
    if isinstance(value, int):
        parent[path[-1]] = value + 1
    else:  # keep hex digits hex, so only the hash check can catch it
        parent[path[-1]] = value[:-1] + ("0" if value[-1] != "0" else "1")
    assert_fails(bundle, expected)


def test_changing_any_character_of_the_receipt_fails() -> None:
    base = full_record()
    receipt = base["meta"]["attestation"]["receipt"]
    for name, value in receipt.items():
        variants = [value + 1] if isinstance(value, int) else [
            _flip_char(value, i) for i in range(len(value))
        ]  # fmt: skip
        for changed in variants:
            bundle = copy.deepcopy(base)
            bundle["meta"]["attestation"]["receipt"][name] = changed
            assert_fails(
                bundle,
                Reason.RECEIPT_SIGNATURE_INVALID,
                Reason.RECEIPT_MISMATCH,
                Reason.RECEIPT_MALFORMED,
                Reason.RECEIPT_KEY_UNKNOWN,
            )


def test_changing_any_character_of_the_receipt_signature_fails() -> None:
    base = full_record()
    signature = base["meta"]["attestation"]["signatureB64Url"]
    for i in range(len(signature)):
        bundle = copy.deepcopy(base)
        bundle["meta"]["attestation"]["signatureB64Url"] = _flip_char(signature, i)
        assert_fails(bundle, Reason.RECEIPT_SIGNATURE_INVALID)


def test_changing_any_byte_of_the_inclusion_proof_fails() -> None:
    base = full_record()
    hashes = base["meta"]["attestation"]["inclusionProof"]["hashes"]
    assert hashes
    for k in range(len(hashes)):
        raw = bytearray(b64url_decode(hashes[k].replace("+", "-").replace("/", "_")))
        for i in range(len(raw)):
            bundle = copy.deepcopy(base)
            changed = bytearray(raw)
            changed[i] ^= 0x01
            bundle["meta"]["attestation"]["inclusionProof"]["hashes"][k] = base64.b64encode(
                bytes(changed)
            ).decode()
            assert_fails(bundle, Reason.INCLUSION_PROOF_INVALID)
    for mutate in (
        lambda p: p["hashes"].pop(),
        lambda p: p["hashes"].append(p["hashes"][0]),
        lambda p: p.update(treeSize=p["treeSize"] + 1),
    ):
        bundle = copy.deepcopy(base)
        mutate(bundle["meta"]["attestation"]["inclusionProof"])
        assert_fails(bundle, Reason.INCLUSION_PROOF_INVALID)


def test_every_other_spelling_of_the_last_base64_digit_fails() -> None:
    """Base64 has padding bits: only the canonical spelling of a proof hash or a checkpoint
    signature is accepted, so no character change can go unnoticed."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    base = full_record()
    att = base["meta"]["attestation"]
    first_hash = att["inclusionProof"]["hashes"][0]
    sig_line = att["checkpoint"].rstrip("\n").rsplit("\n", 1)[1]
    cases = [
        (lambda b, c: b["meta"]["attestation"]["inclusionProof"]["hashes"].__setitem__(
            0, first_hash[:-2] + c + "="), first_hash[-2]),
        (lambda b, c: b["meta"]["attestation"].__setitem__(
            "checkpoint", att["checkpoint"].replace(sig_line, sig_line[:-2] + c + "=")),
         sig_line[-2]),
    ]  # fmt: skip
    assert first_hash.endswith("=") and sig_line.endswith("=")
    for mutate, original in cases:
        for c in alphabet.replace(original, ""):
            bundle = copy.deepcopy(base)
            mutate(bundle, c)
            assert_fails(
                bundle,
                Reason.INCLUSION_PROOF_INVALID,
                Reason.CHECKPOINT_MALFORMED,
                Reason.CHECKPOINT_SIGNATURE_INVALID,
            )


def test_changing_the_log_index_fails() -> None:
    bundle = full_record()
    bundle["meta"]["attestation"]["logIndex"] += 1
    assert_fails(bundle, Reason.RECEIPT_MISMATCH)


def test_changing_any_character_of_the_checkpoint_fails() -> None:
    base = full_record()
    note = base["meta"]["attestation"]["checkpoint"]
    for i in range(len(note)):
        bundle = copy.deepcopy(base)
        bundle["meta"]["attestation"]["checkpoint"] = _flip_char(note, i)
        assert_fails(
            bundle,
            Reason.CHECKPOINT_SIGNATURE_INVALID,
            Reason.CHECKPOINT_MALFORMED,
            Reason.INCLUSION_PROOF_INVALID,
        )


def test_a_checkpoint_signed_by_another_key_fails() -> None:
    bundle = full_record()
    cp = Checkpoint(ORIGIN, 9, bytes(32))
    bundle["meta"]["attestation"]["checkpoint"] = sign_checkpoint(cp, ORIGIN, OTHER_KEY)
    assert_fails(bundle, Reason.CHECKPOINT_SIGNATURE_INVALID)


def test_without_keys_a_broken_proof_still_fails_on_arithmetic() -> None:
    bundle = full_record()
    bundle["meta"]["attestation"]["inclusionProof"]["hashes"].reverse()
    report = verify_bundle(bundle)
    assert Reason.INCLUSION_PROOF_INVALID in reasons(report)


# -- key resolution and lifecycle ---------------------------------------------------------


def test_receipt_key_is_resolved_strictly_by_kid_without_fallback() -> None:
    bundle = full_record()
    doc = document(entry(NEXT_NODE_KEY))  # the node's document lists only another key
    assert_fails(bundle, Reason.RECEIPT_KEY_UNKNOWN, store=trust(doc))


def test_receipt_from_another_node_id_is_unknown() -> None:
    bundle = full_record()
    doc = KeyDocument(node_id="someone-else", keys=(entry(NODE_KEY),), origin=ORIGIN)
    assert_fails(bundle, Reason.RECEIPT_KEY_UNKNOWN, store=trust(doc))


def test_receipt_from_revoked_key_fails_after_revocation_time() -> None:
    bundle = OfflineNode().attest(record(), timestamp="2026-03-02T00:00:00Z")
    revoked = entry(NODE_KEY, KeyState.REVOKED, revoked_at="2026-03-01T00:00:00Z", reason="leak")
    assert_fails(bundle, Reason.RECEIPT_KEY_REVOKED, store=trust(document(revoked)))


def test_receipt_from_revoked_key_passes_before_revocation_time_and_says_so() -> None:
    bundle = OfflineNode().attest(record(), timestamp="2026-02-28T23:59:59Z")
    revoked = entry(NODE_KEY, KeyState.REVOKED, revoked_at="2026-03-01T00:00:00Z", reason="leak")
    report = verify_bundle(bundle, trust=trust(document(revoked, entry(NEXT_NODE_KEY))))
    assert report.ok and report.assurance.label == "logged", report.to_dict()
    assert any("revoked" in note and "before" in note for note in report.notes)


def test_retired_key_still_verifies_old_receipts() -> None:
    bundle = OfflineNode().attest(record(), timestamp="2026-01-15T00:00:00Z")
    retired = entry(NODE_KEY, KeyState.RETIRED, retired_at="2026-02-01T00:00:00Z")
    doc = document(retired, entry(NEXT_NODE_KEY))
    report = verify_bundle(bundle, trust=trust(doc))
    assert report.ok and report.assurance.label == "logged"
    late = OfflineNode().attest(record(), timestamp="2026-02-02T00:00:00Z")
    assert_fails(late, Reason.RECEIPT_KEY_RETIRED, store=trust(doc))


def test_trust_store_reads_a_nexart_wellknown_document() -> None:
    store = TrustStore.from_key_document(json.dumps(document().to_nexart_wellknown()))
    store = TrustStore(store.node_documents, (public_key_bytes(PRODUCER_KEY),))
    assert verify_bundle(full_record(), trust=store).assurance.label == "logged"


# -- consistency with a known checkpoint --------------------------------------------------


def test_consistency_with_a_newer_known_checkpoint() -> None:
    node = OfflineNode()
    bundle = full_record(node)
    proof_size = bundle["meta"]["attestation"]["inclusionProof"]["treeSize"]
    node.pad(20)
    newer = node.checkpoint()

    def fetch(old: int, new: int, origin: str) -> list[bytes]:
        assert origin == ORIGIN
        return node.tree.consistency_proof(old, new)

    report = verify_bundle(bundle, trust=trust(checkpoints=(newer,), consistency_fetcher=fetch))
    assert report.ok and any(
        c.name == "consistency" and c.status is Status.PASS for c in report.checks
    )
    # Without a way to get a proof, the step is skipped, not passed, and the record still logs.
    report = verify_bundle(bundle, trust=trust(checkpoints=(newer,)))
    assert report.ok and any(
        c.name == "consistency" and c.status is Status.SKIPPED for c in report.checks
    )
    assert proof_size < node.tree.size


def test_a_forked_log_is_detected_by_consistency() -> None:
    node = OfflineNode()
    bundle = full_record(node)
    size = node.tree.size
    fork = MerkleTree.from_leaf_hashes([bytes([7]) * 32] * size)
    forked = sign_checkpoint(Checkpoint(ORIGIN, size, fork.root()), ORIGIN, NODE_KEY)
    assert_fails(bundle, Reason.CONSISTENCY_PROOF_INVALID, store=trust(checkpoints=(forked,)))


# -- NexArt compatibility -----------------------------------------------------------------


def test_nexart_reseal_placeholder_signature_cannot_verify() -> None:
    bundle = json.loads((VECTORS / "redacted-reseal-cer.json").read_text())
    wellknown = KeyDocument(node_id="nexart", keys=(entry(NODE_KEY),)).to_nexart_wellknown()
    wellknown["keys"][0]["kid"] = "k1"  # the kid the vector names
    nexart_doc = KeyDocument.from_json(wellknown)
    for store in (None, TrustStore(node_documents=(nexart_doc,))):
        report = verify_bundle(bundle, trust=store, nexart_compat=True)
        assert not report.ok
        assert Reason.RECEIPT_SIGNATURE_INVALID in reasons(report)
        assert any("NexArt compatibility" in note for note in report.notes)
        assert any("redacted_reseal" in note for note in report.notes)


def test_nexart_layout_with_signature_alias_verifies_in_compat_mode_only() -> None:
    base = record()
    receipt = {
        "certificateHash": base["certificateHash"],
        "timestamp": "2026-01-01T00:00:00Z",
        "nodeId": NODE_ID,
        "attestorKeyId": "k-nexart",
    }
    bundle = {
        **base,
        "attestation": {
            "receipt": receipt,
            "signature": sign_receipt(receipt, NODE_KEY),
            "kid": "k-nexart",
        },
    }
    wellknown = document().to_nexart_wellknown()
    wellknown["keys"][0]["kid"] = "k-nexart"
    store = TrustStore.from_key_document(wellknown)
    compat = verify_bundle(bundle, trust=store, nexart_compat=True)
    assert compat.ok and compat.assurance.label == "attested", compat.to_dict()
    assert any("attestation read from attestation" in note for note in compat.notes)
    strict = verify_bundle(bundle, trust=store)
    assert strict.layer_status(Layer.NODE_RECEIPT) is Status.SKIPPED


# -- published conformance vectors (scripts/trust_vectors.py) -----------------------------

TRUST_VECTORS = Path(__file__).parent / "vectors" / "cerkit" / "trust"
MANIFEST = json.loads((TRUST_VECTORS / "manifest.json").read_text())


@pytest.mark.parametrize(
    "case", MANIFEST, ids=[f"{c['record']}-{len(c['trust'])}" for c in MANIFEST]
)
def test_trust_conformance_vector(case: dict[str, Any]) -> None:
    store = TrustStore()
    for name in case["trust"]:
        store = store.merged(TrustStore.load(TRUST_VECTORS / name))
    for name in case["producerKeys"]:
        store = store.with_producer_key_file(TRUST_VECTORS / name)
    bundle = json.loads((TRUST_VECTORS / case["record"]).read_text())
    report = verify_bundle(bundle, trust=store)
    assert (report.verdict, report.assurance.label) == (case["verdict"], case["assurance"])
    assert set(case["reasons"]) <= reasons(report)


def test_trust_vectors_are_reproducible() -> None:
    script = Path(__file__).parent.parent / "scripts" / "trust_vectors.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
