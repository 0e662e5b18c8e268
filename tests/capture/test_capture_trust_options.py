"""The recorder's ``sign=`` and ``attest=`` options: records come out signed and logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from cerkit.capture import recorder
from cerkit.errors import UsageError
from cerkit.keys import generate_private_key, public_key_bytes, save_private_key
from cerkit.ledger import shared_record_store
from cerkit.node.embedded import open_embedded_node
from cerkit.verify import Assurance, verify_bundle
from cerkit.verify.trust import TrustStore


def test_recorded_call_is_signed_attested_and_logged(store_path: Path, tmp_path: Path) -> None:
    producer = tmp_path / "producer.key"
    save_private_key(generate_private_key(), producer)
    save_private_key(generate_private_key(), tmp_path / "node.key")
    with open_embedded_node(str(tmp_path / "node.db"), str(tmp_path / "node.key")) as node:

        @recorder.record(sign=producer, attest=node)
        def scale(x: float, factor: float = 2.0) -> float:
            return x * factor

        assert scale(3.0) == 6.0
        bundle = scale.last_record  # type: ignore[attr-defined]
        trust = TrustStore(
            node_documents=node.trust().node_documents,
            producer_keys=(public_key_bytes(generate_private_key()),),
        )
        untrusted_producer = verify_bundle(bundle, trust=trust)
        trust = TrustStore(
            node_documents=node.trust().node_documents,
            producer_keys=(public_key_bytes(_load(producer)),),
        )
        report = verify_bundle(bundle, trust=trust)

    assert report.ok and report.assurance is Assurance.LOGGED
    assert bundle["meta"]["producer"]["kid"]
    assert bundle["meta"]["attestation"]["receipt"]["certificateHash"] == bundle["certificateHash"]
    assert not untrusted_producer.ok  # a producer key nobody trusts does not pass
    stored = shared_record_store(str(store_path))
    stored.flush()  # the recorder queues writes; flush makes them visible
    saved = stored.get(bundle["certificateHash"])
    assert saved is not None and saved["meta"]["attestation"] == bundle["meta"]["attestation"]


def test_recording_block_signs_with_a_key_object(store_path: Path) -> None:
    key = generate_private_key()
    with recorder.recording("demo:block", inputs={"x": 1}, sign=key) as rec:
        rec.output = 2
    assert rec.bundle is not None
    report = verify_bundle(rec.bundle, trust=TrustStore(producer_keys=(public_key_bytes(key),)))
    assert report.assurance is Assurance.SIGNED


def test_attest_to_a_url_without_a_token_is_a_usage_error(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CERKIT_NODE_TOKEN", raising=False)
    with pytest.raises(UsageError):
        recorder.record(attest="http://127.0.0.1:9")(lambda: 1)


def _load(path: Path) -> object:
    from cerkit.keys import load_private_key

    return load_private_key(path)
