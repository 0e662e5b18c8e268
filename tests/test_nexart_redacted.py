"""NexArt's redacted artifacts, made by NexArt's real SDK, verified in compatibility mode.

``@nexart/ai-execution@0.1.0`` (the only published version) has no hash-only mode (its README:
"not implemented in v0.1.0"), no ``redactBeforeSeal`` and no reseal API. What its code does
make is used as is (tests/nexart/runner.mjs): ``createSnapshot`` computes inputHash and
outputHash, and ``sealCer`` seals any snapshot it is given, so NexArt's minimal shape is the
SDK's own snapshot less ``input``/``output`` sealed by the SDK (``sealHashOnly``), and a
redacted reseal is a new record sealed by the SDK from an SDK record's snapshot less prompt,
input and output (``reseal``), with a NexArt-layout node attestation over the new hash, as
NexArt's service attaches one (tests/vectors/nexart/redacted-reseal-cer.json).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cerkit.attestation import sign_receipt
from cerkit.digest import hash_payload
from cerkit.errors import Reason
from cerkit.jsonio import dumps, loads
from cerkit.keys import key_id
from cerkit.verify import Layer, Report, Status, TrustStore, verify_bundle
from cli_runner import cerkit
from nexart_bridge import NexArt
from trust_fixtures import NODE_ID, NODE_KEY, document

pytestmark = pytest.mark.node

CREATED_AT = "2026-02-12T00:00:00.000Z"
RESEALED_AT = "2026-02-13T00:00:00.000Z"
QUESTION = "Is order 99 refundable?"
ANSWER = {"answer": "yes", "policy": "30-day"}
ARGS = {
    "executionId": "exec-redacted",
    "provider": "openai",
    "model": "gpt-4o",
    "prompt": "Answer yes or no, and name the policy.",
    "input": QUESTION,
    "output": ANSWER,
    "parameters": {"temperature": 0, "maxTokens": 64, "topP": None, "seed": None},
    "timestamp": CREATED_AT,
}
PROVEN_AS_HASHES = "input and output are proven only as inputHash/outputHash"
HASH_ONLY_NOTE = f"hash-only record: {PROVEN_AS_HASHES}"
RESEAL_NOTE = "its link to the original record is not authenticated"
ZERO = "sha256:" + "0" * 64


@pytest.fixture(scope="module")
def nexart() -> Iterator[NexArt]:
    bridge = NexArt()
    yield bridge
    bridge.close()


def _made(result: dict[str, Any]) -> dict[str, Any]:
    assert "error" not in result, result
    bundle: dict[str, Any] = loads(result["bundle"].encode())
    return bundle


def hash_only(nexart: NexArt) -> dict[str, Any]:
    item = {"args": ARGS, "createdAt": CREATED_AT, "omit": ["input", "output"]}
    return _made(nexart.call("sealHashOnly", [item])[0])


def redacted_reseal(nexart: NexArt) -> tuple[dict[str, Any], dict[str, Any]]:
    """The SDK's full record and the SDK's reseal of it, attested in NexArt's layout."""
    full = _made(nexart.call("seal", [{"args": ARGS, "createdAt": CREATED_AT}])[0])
    item = {
        "bundle": dumps(full),
        "createdAt": RESEALED_AT,
        "omit": ["prompt", "input", "output"],
        "meta": {"source": "cerkit-tests", "tags": ["redacted"]},
    }
    reseal = _made(nexart.call("reseal", [item])[0])
    receipt = {
        "receiptVersion": "attestation.receipt.v1",
        "certificateHash": reseal["certificateHash"],
        "timestamp": RESEALED_AT,
        "nodeId": NODE_ID,
        "attestorKeyId": key_id(NODE_KEY),
    }
    reseal["meta"]["attestation"] = {
        "mode": "redacted_reseal",
        "hash": reseal["certificateHash"],
        "receipt": receipt,
        "attestationId": "att-1",
        "attestorKeyId": key_id(NODE_KEY),
        "protocolVersion": "1.2.0",
        "signatureB64Url": sign_receipt(receipt, NODE_KEY),
    }
    return full, reseal


def nexart_trust() -> TrustStore:
    return TrustStore.from_key_document(document().to_nexart_wellknown())


def integrity(report: Report) -> dict[str, tuple[Status, Reason]]:
    return {c.name: (c.status, c.reason) for c in report.checks if c.layer is Layer.INTEGRITY}


def failures(report: Report) -> set[Reason]:
    return {c.reason for c in report.failures}


# --- the hash-only record ----------------------------------------------------------------


def test_sdk_made_hash_only_record_has_nexarts_minimal_shape(nexart: NexArt) -> None:
    bundle = hash_only(nexart)
    snapshot = bundle["snapshot"]
    assert not {"input", "output"} & set(snapshot)
    assert snapshot["inputHash"] == hash_payload(QUESTION)
    assert snapshot["outputHash"] == hash_payload(ANSWER)
    # NexArt's own verifyCer cannot read its minimal shape: it rehashes the absent input.
    theirs = nexart.verify([bundle])[0]
    assert theirs == {"error": "Unsupported type for canonical JSON: undefined"}


def test_sdk_made_hash_only_record_verifies_in_compat_mode_with_a_note(nexart: NexArt) -> None:
    report = verify_bundle(hash_only(nexart), nexart_compat=True)
    assert report.ok, report.to_dict()
    assert integrity(report) == {
        "schema": (Status.PASS, Reason.OK),
        "input_output_hashes": (Status.SKIPPED, Reason.REDACTED),
        "certificate_hash": (Status.PASS, Reason.OK),
    }
    assert any(HASH_ONLY_NOTE in note for note in report.notes), report.notes
    assert not any(RESEAL_NOTE in note for note in report.notes)


def test_sdk_made_hash_only_record_with_a_changed_hash_fails(nexart: NexArt) -> None:
    for field in ("inputHash", "outputHash"):
        bundle = hash_only(nexart)
        bundle["snapshot"][field] = ZERO
        report = verify_bundle(bundle, nexart_compat=True)
        assert report.verdict == "FAILED"
        assert failures(report) == {Reason.CERTIFICATE_HASH_MISMATCH}, report.to_dict()


def test_cli_verifies_sdk_made_hash_only_record_and_refuses_a_tampered_one(
    nexart: NexArt, tmp_path: Path
) -> None:
    bundle = hash_only(nexart)
    record = tmp_path / "hash-only.json"
    record.write_text(dumps(bundle))
    result = cerkit("verify", "--nexart-compat", record)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("VERIFIED"), result.stdout
    assert HASH_ONLY_NOTE in result.stdout
    bundle["snapshot"]["outputHash"] = ZERO
    record.write_text(dumps(bundle))
    result = cerkit("verify", "--nexart-compat", "--json", record)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "FAILED"
    assert "CERTIFICATE_HASH_MISMATCH" in result.stderr


def test_cli_content_proves_given_content_against_an_sdk_made_hash_only_record(
    nexart: NexArt, tmp_path: Path
) -> None:
    record = tmp_path / "hash-only.json"
    record.write_text(dumps(hash_only(nexart)))
    given_input, given_output = tmp_path / "input.txt", tmp_path / "output.json"
    given_input.write_text(QUESTION)  # a string input is hashed as its UTF-8 text
    given_output.write_text(json.dumps(ANSWER, indent=2))  # any layout of the same JSON
    result = cerkit(
        "verify", "--nexart-compat", "--json", "--content", given_input,
        "--content", given_output, record,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    content = [c for c in json.loads(result.stdout)["checks"] if c["check"] == "content"]
    assert [(c["status"], c["message"]) for c in content] == [
        ("PASS", f"{given_input} is the recorded input"),
        ("PASS", f"{given_output} is the recorded output"),
    ]
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**ANSWER, "answer": "no"}))
    result = cerkit("verify", "--nexart-compat", "--json", "--content", wrong, record)
    assert result.returncode == 1
    checks = json.loads(result.stdout)["checks"]
    assert [c["reason"] for c in checks if c["check"] == "content"] == ["CONTENT_MISMATCH"]
    assert "CONTENT_MISMATCH" in result.stderr


# --- the redacted reseal -----------------------------------------------------------------


def test_sdk_made_reseal_keeps_the_originals_hashes_under_a_new_identity(nexart: NexArt) -> None:
    full, reseal = redacted_reseal(nexart)
    assert verify_bundle(full).ok
    assert not {"prompt", "input", "output"} & set(reseal["snapshot"])
    for field in ("inputHash", "outputHash", "executionId", "parameters"):
        assert reseal["snapshot"][field] == full["snapshot"][field]
    assert reseal["certificateHash"] != full["certificateHash"]


def test_sdk_made_reseal_verifies_attested_in_compat_mode_with_a_note(nexart: NexArt) -> None:
    _, reseal = redacted_reseal(nexart)
    report = verify_bundle(reseal, trust=nexart_trust(), nexart_compat=True)
    assert report.ok and report.assurance.label == "attested", report.to_dict()
    assert integrity(report)["input_output_hashes"] == (Status.SKIPPED, Reason.REDACTED)
    assert report.layer_status(Layer.NODE_RECEIPT) is Status.PASS
    assert any(RESEAL_NOTE in note for note in report.notes), report.notes
    assert any(PROVEN_AS_HASHES in note for note in report.notes), report.notes
    # Without compatibility mode the NexArt layout's receipt is not read at all.
    strict = verify_bundle(reseal, trust=nexart_trust())
    assert not any(RESEAL_NOTE in note for note in strict.notes)


def test_sdk_made_reseal_with_a_changed_hash_fails_its_certificate_hash(nexart: NexArt) -> None:
    _, reseal = redacted_reseal(nexart)
    reseal["snapshot"]["inputHash"] = ZERO
    report = verify_bundle(reseal, trust=nexart_trust(), nexart_compat=True)
    assert report.verdict == "FAILED"
    assert Reason.CERTIFICATE_HASH_MISMATCH in failures(report), report.to_dict()


def test_cli_verifies_sdk_made_reseal_and_refuses_a_tampered_one(
    nexart: NexArt, tmp_path: Path
) -> None:
    _, reseal = redacted_reseal(nexart)
    trust = tmp_path / "nexart-node.json"
    trust.write_text(json.dumps(document().to_nexart_wellknown()))
    record = tmp_path / "reseal.json"
    record.write_text(dumps(reseal))
    result = cerkit("verify", "--nexart-compat", "--trust", trust, record)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("VERIFIED attested"), result.stdout
    assert RESEAL_NOTE in result.stdout
    reseal["snapshot"]["outputHash"] = ZERO
    record.write_text(dumps(reseal))
    result = cerkit("verify", "--nexart-compat", "--trust", trust, record)
    assert result.returncode == 1
    assert result.stdout.startswith("FAILED")
    assert "CERTIFICATE_HASH_MISMATCH" in result.stderr


def test_cli_content_proves_the_original_input_against_an_sdk_made_reseal(
    nexart: NexArt, tmp_path: Path
) -> None:
    _, reseal = redacted_reseal(nexart)
    record, given = tmp_path / "reseal.json", tmp_path / "question.txt"
    record.write_text(dumps(reseal))
    given.write_text(QUESTION)
    result = cerkit("verify", "--nexart-compat", "--content", given, record)
    assert result.returncode == 0, result.stderr
    given.write_text(QUESTION.replace("99", "98"))
    result = cerkit("verify", "--nexart-compat", "--content", given, record)
    assert result.returncode == 1
    assert "CONTENT_MISMATCH" in result.stderr
