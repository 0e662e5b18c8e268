"""Producer signatures, and the keys / sign / verify command lines end to end."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cerkit.errors import InvalidRecordError, Reason, SchemaError
from cerkit.keyring import KeyRing
from cerkit.keys import KeyState, key_id
from cerkit.signing import PRODUCER_DOMAIN, producer_message, sign_bundle, verify_producer
from trust_fixtures import PRODUCER_KEY, OfflineNode, document, record

CERKIT = [str(Path(sys.executable).parent / "cerkit")]


def cerkit(*args: str, env_dir: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if env_dir is not None:
        env["CERKIT_KEY_DIR"] = str(env_dir)
    return subprocess.run([*CERKIT, *args], capture_output=True, text=True, env=env, timeout=60)


def test_signature_binds_the_certificate_hash_with_a_domain_prefix() -> None:
    bundle = record()
    signed = sign_bundle(bundle, PRODUCER_KEY)
    assert signed["certificateHash"] == bundle["certificateHash"]
    assert "meta" not in bundle  # the input is not mutated
    producer = signed["meta"]["producer"]
    assert producer["alg"] == "Ed25519" and producer["kid"] == key_id(PRODUCER_KEY)
    assert producer_message("sha256:ab") == PRODUCER_DOMAIN + b"sha256:ab"
    assert verify_producer(producer, bundle["certificateHash"])[0] == key_id(PRODUCER_KEY)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.update(alg="RS256"),
        lambda p: p.update(kid="0" * 16),
        lambda p: p.update(signature=p["signature"][:-2] + "AA"),
        lambda p: p.update(signature="sig"),
        lambda p: p.update(publicKey="AAAA"),
        lambda p: p.pop("publicKey"),
    ],
)
def test_tampered_producer_block_is_invalid(mutate: Any) -> None:
    producer = sign_bundle(record(), PRODUCER_KEY)["meta"]["producer"]
    mutate(producer)
    with pytest.raises(InvalidRecordError) as info:
        verify_producer(producer, record()["certificateHash"])
    assert info.value.reason is Reason.PRODUCER_SIGNATURE_INVALID


def test_signing_needs_a_certificate_hash() -> None:
    with pytest.raises(SchemaError):
        sign_bundle({"snapshot": {}}, PRODUCER_KEY)


def test_key_ring_rotation_keeps_old_keys_and_revocation_has_time_and_reason(
    tmp_path: Path,
) -> None:
    ring = KeyRing(tmp_path / "keys", now=lambda: "2026-01-01T00:00:00Z")
    first = ring.generate("node-x", "x.example/log")
    old, new = ring.rotate()
    assert old is not None and old.kid == first.kid
    ring.revoke(first.kid, "lost", "2026-02-01T00:00:00Z")
    doc = ring.load()
    assert [k.state for k in doc.keys] == [KeyState.REVOKED, KeyState.ACTIVE]
    assert doc.keys[0].revoked_at == "2026-02-01T00:00:00Z" and doc.keys[0].reason == "lost"
    assert doc.active is not None and doc.active.kid == new.kid
    assert key_id(ring.private_key()) == new.kid
    mode = stat.S_IMODE(os.stat(ring.private_key_path(new.kid)).st_mode)
    assert mode == 0o600


def test_cli_keys_sign_and_verify_end_to_end(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    out = cerkit("keys", "generate", "--node-id", "producer-1", "--json", env_dir=keys)
    assert out.returncode == 0, out.stderr
    kid = json.loads(out.stdout)["kid"]
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record()))
    out = cerkit("sign", "--key", kid, str(path), env_dir=keys)
    assert out.returncode == 0, out.stderr
    signed = json.loads(path.read_text())
    assert signed["certificateHash"] == record()["certificateHash"]
    assert signed["meta"]["producer"]["kid"] == kid
    producer_doc = tmp_path / "producer.json"
    out = cerkit("keys", "export", "-o", str(producer_doc), env_dir=keys)
    assert out.returncode == 0, out.stderr
    # Without trust: verified, but only "sealed"; with the producer key: "signed".
    out = cerkit("verify", "--json", str(path))
    assert out.returncode == 0 and json.loads(out.stdout)["assurance"] == "sealed"
    out = cerkit("verify", "--json", "--producer-key", str(producer_doc), str(path))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["assurance"] == "signed"
    # A second, untrusted producer key fails the layer.
    path.write_text(json.dumps(sign_bundle(record(), PRODUCER_KEY)))
    out = cerkit("verify", "--json", "--producer-key", str(producer_doc), str(path))
    assert out.returncode == 1 and "PRODUCER_KEY_UNTRUSTED" in out.stdout


def test_cli_sign_refuses_a_record_that_does_not_verify(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert cerkit("keys", "generate", env_dir=keys).returncode == 0
    bundle = record()
    bundle["snapshot"]["output"] = {"answer": 99}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bundle))
    key_file = next(keys.glob("*.key"))
    out = cerkit("sign", "--key", str(key_file), str(path))
    assert out.returncode == 1 and "OUTPUT_HASH_MISMATCH" in out.stderr
    assert "producer" not in json.loads(path.read_text()).get("meta", {})


def test_cli_verify_with_a_trust_file_reaches_logged(tmp_path: Path) -> None:
    node = OfflineNode()
    node.pad(3)
    bundle = node.attest(record())
    path, trust = tmp_path / "r.json", tmp_path / "node.json"
    path.write_text(json.dumps(bundle))
    trust.write_text(json.dumps(document().to_nexart_wellknown()))
    out = cerkit("verify", "--json", "--trust", str(trust), str(path))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["assurance"] == "logged"
    bundle["meta"]["attestation"]["signatureB64Url"] = "A" * 86
    path.write_text(json.dumps(bundle))
    out = cerkit("verify", "--trust", str(trust), str(path))
    assert out.returncode == 1 and "RECEIPT_SIGNATURE_INVALID" in out.stdout


def test_cli_keys_export_nexart_shape_and_bad_revoke_time(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert cerkit("keys", "generate", "--node-id", "n", env_dir=keys).returncode == 0
    out = cerkit("keys", "export", "--format", "nexart", env_dir=keys)
    doc = json.loads(out.stdout)
    assert doc["nodeId"] == "n" and doc["keys"][0]["publicKeyJwk"]["crv"] == "Ed25519"
    out = cerkit(
        "keys", "revoke", doc["activeKid"], "--reason", "x", "--at", "yesterday", env_dir=keys
    )
    assert out.returncode == 2 and "USAGE_ERROR" in out.stderr
    out = cerkit("keys", "list", env_dir=tmp_path / "nowhere")
    assert out.returncode == 3 and "Traceback" not in out.stderr


def test_trust_bundle_round_trips_and_producer_keys_load_from_pem(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    from cerkit.keys import public_key_bytes
    from cerkit.verify import TrustStore, verify_bundle

    node = OfflineNode()
    bundle = node.attest(sign_bundle(record(), PRODUCER_KEY))
    pem = tmp_path / "producer.pem"
    pem.write_bytes(
        PRODUCER_KEY.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    store = TrustStore.from_key_document(document().to_json()).with_producer_key_file(pem)
    assert store.producer_keys == (public_key_bytes(PRODUCER_KEY),)
    store = TrustStore(store.node_documents, store.producer_keys, (node.checkpoint(),))
    saved = tmp_path / "trust.json"
    saved.write_text(json.dumps(store.to_json()))
    loaded = TrustStore.load(saved)
    assert loaded == store
    assert verify_bundle(bundle, trust=loaded).assurance.label == "logged"
    with pytest.raises(InvalidRecordError):
        TrustStore.from_json({"format": "cerkit.trust.v1", "producers": [{"publicKey": "AA"}]})
