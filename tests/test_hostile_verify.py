"""Hostile records against the verifier, ``cerkit verify`` and ``cerkit diff`` (issue 9).

Every case here once crashed or gave a wrong answer: a lone surrogate where the
certificateHash goes, a record changed after sealing that ``diff`` called IDENTICAL, an
unsigned ``logIndex: false`` that agreed with a signed index 0, a trust file with a garbage
checkpoint accepted silently. The CLI cases run ``cerkit`` as a user does, in a subprocess.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from cerkit.drift.attribution import Verdict, explain
from cerkit.jsonio import dumps
from cerkit.signing import sign_bundle, verify_producer
from cerkit.verify import TrustStore, verify_bundle
from cli_runner import cerkit
from trust_fixtures import PRODUCER_KEY, T0, OfflineNode, document, record, yes_no_args

SURROGATE = "\ud800"


def _write(path: Path, value: Any) -> Path:
    path.write_text(dumps(value), encoding="utf-8")  # dumps escapes lone surrogates
    return path


def _surrogate_record(signed: bool) -> dict[str, Any]:
    bundle = sign_bundle(record(), PRODUCER_KEY) if signed else record()
    bundle["certificateHash"] = SURROGATE
    return bundle


# --- a lone surrogate in certificateHash --------------------------------------------------


@pytest.mark.parametrize("signed", [False, True], ids=["plain", "with-meta-producer"])
def test_verify_bundle_reports_a_surrogate_certificate_hash_instead_of_raising(
    signed: bool,
) -> None:
    report = verify_bundle(_surrogate_record(signed))
    assert report.verdict == "FAILED"
    assert report.failures[0].reason == "SCHEMA_ERROR"
    assert report.certificate_hash == ""  # never the hostile value
    json.dumps(report.to_dict())


def test_verify_producer_refuses_a_certificate_hash_that_is_not_a_digest() -> None:
    signed = sign_bundle(record(), PRODUCER_KEY)
    with pytest.raises(Exception) as caught:
        verify_producer(signed["meta"]["producer"], SURROGATE)
    assert getattr(caught.value, "reason", None) == "PRODUCER_SIGNATURE_INVALID"


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize("signed", [False, True], ids=["plain", "with-meta-producer"])
def test_cli_verify_fails_a_surrogate_certificate_hash_with_a_reason(
    tmp_path: Path, signed: bool, as_json: bool
) -> None:
    path = _write(tmp_path / "bad.json", _surrogate_record(signed))
    result = cerkit("verify", *(["--json"] if as_json else []), path)
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "SCHEMA_ERROR" in result.stderr
    if as_json:
        assert json.loads(result.stdout)["verdict"] == "FAILED"
    else:
        assert result.stdout.startswith("FAILED")


def test_a_jsonl_batch_goes_on_past_a_surrogate_record(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    lines = [dumps(_surrogate_record(True)), dumps(record(1)), dumps(record(2))]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cerkit("verify", batch)
    assert result.returncode == 1, result.stderr
    verdicts = [line.split()[0] for line in result.stdout.splitlines() if line[:1] != " "]
    assert verdicts == ["FAILED", "VERIFIED", "VERIFIED"]


# --- cerkit diff checks integrity first -----------------------------------------------------


def _tampered(bundle: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(bundle)
    changed["snapshot"]["output"] = {"answer": "changed after sealing"}
    return changed


def test_explain_never_calls_a_tampered_record_identical() -> None:
    good = record()
    for a, b in ((good, _tampered(good)), (_tampered(good), good)):
        explanation = explain(a, b)
        assert explanation.verdict is Verdict.INTEGRITY_FAILED
        assert "OUTPUT_HASH_MISMATCH" in explanation.summary


def test_cli_diff_of_a_tampered_record_exits_1_and_never_says_identical(tmp_path: Path) -> None:
    good = _write(tmp_path / "plain.json", record())
    bad = _write(tmp_path / "tampered.json", _tampered(record()))
    result = cerkit("diff", good, bad)
    assert result.returncode == 1, result.stderr
    assert "IDENTICAL" not in result.stdout
    assert result.stdout.startswith("INTEGRITY_FAILED")
    assert "OUTPUT_HASH_MISMATCH" in result.stderr
    as_json = cerkit("diff", "--json", good, bad)
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["verdict"] == "INTEGRITY_FAILED"
    assert cerkit("diff", good, good).returncode == 0


# --- unsigned copies beside the receipt -----------------------------------------------------


@pytest.mark.parametrize("copy_value", [False, 0.0], ids=["false", "float-zero"])
def test_an_unsigned_log_index_of_another_type_does_not_verify(copy_value: Any) -> None:
    node = OfflineNode()
    attested = node.attest(record())  # the first leaf: the signed logIndex is 0
    trust = TrustStore(node_documents=(document(),))
    assert verify_bundle(attested, trust=trust).assurance.label == "logged"
    attested["meta"]["attestation"]["logIndex"] = copy_value
    report = verify_bundle(attested, trust=trust)
    assert report.verdict == "FAILED"
    assert report.assurance.label == "none"
    assert any(c.reason == "RECEIPT_MISMATCH" for c in report.failures)


# --- trust files ----------------------------------------------------------------------------


@pytest.mark.parametrize("note", ["garbage", "", 7], ids=["garbage", "empty", "number"])
def test_a_trust_file_with_a_checkpoint_that_does_not_parse_is_refused(
    tmp_path: Path, note: Any
) -> None:
    trust = _write(tmp_path / "trust.json", {"format": "cerkit.trust.v1", "checkpoints": [note]})
    good = _write(tmp_path / "good.json", record())
    result = cerkit("verify", "--trust", trust, good)
    assert result.returncode == 1, result.stdout
    assert "KEY_DOCUMENT_INVALID" in result.stderr and "checkpoint" in result.stderr
    assert "VERIFIED" not in result.stdout


def test_a_trust_file_with_a_real_checkpoint_still_loads() -> None:
    node = OfflineNode()
    node.attest(record())
    value = {"format": "cerkit.trust.v1", "checkpoints": [node.notes[-1]]}
    assert TrustStore.from_json(value).checkpoints == (node.notes[-1],)


# --- a redacted copy whose protocolVersion is not a string ----------------------------------


@pytest.mark.parametrize("protocol", [["1.2.0"], {"v": 1}, 1.2])
def test_a_redacted_copy_with_an_unhashable_protocol_version_fails_its_schema(
    protocol: Any,
) -> None:
    from cerkit.disclosure import redact, seal_disclosable

    bundle, openings = seal_disclosable(yes_no_args(created_at=False), created_at=T0)
    shared = copy.deepcopy(redact(bundle, openings, ["snapshot.output"]))
    shared["snapshot"]["protocolVersion"] = protocol  # once a TypeError out of verify_bundle
    report = verify_bundle(shared)
    assert report.verdict == "FAILED"
    assert report.failures[0].reason == "SCHEMA_ERROR"
    assert "unsupported protocolVersion" in report.failures[0].message
