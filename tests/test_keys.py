"""Ed25519 key files, key ids and key documents (ours and NexArt's well-known shape)."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from cerkit.errors import InvalidRecordError, OperationalError, Reason
from cerkit.keys import (
    KeyDocument,
    KeyEntry,
    KeyState,
    b64url_decode,
    b64url_encode,
    generate_private_key,
    key_id,
    load_private_key,
    private_key_from_seed,
    public_key_bytes,
    save_private_key,
)

SEED = bytes(range(32))


def _doc() -> KeyDocument:
    old = private_key_from_seed(SEED)
    new = private_key_from_seed(bytes(32))
    return KeyDocument(
        node_id="node-a",
        origin="node-a.example/log",
        keys=(
            KeyEntry(key_id(old), public_key_bytes(old), KeyState.RETIRED, "2026-01-01T00:00:00Z",
                     retired_at="2026-02-01T00:00:00Z"),
            KeyEntry(key_id(new), public_key_bytes(new), KeyState.ACTIVE, "2026-02-01T00:00:00Z"),
        ),
    )  # fmt: skip


def test_private_key_file_is_created_0600_and_never_overwritten(tmp_path: Path) -> None:
    key = generate_private_key()
    path = tmp_path / "node.key"
    save_private_key(key, path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert public_key_bytes(load_private_key(path)) == public_key_bytes(key)
    with pytest.raises(OperationalError):
        save_private_key(generate_private_key(), path)
    assert public_key_bytes(load_private_key(path)) == public_key_bytes(key)


def test_group_readable_private_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loose.key"
    save_private_key(generate_private_key(), path)
    os.chmod(path, 0o640)
    with pytest.raises(OperationalError):
        load_private_key(path)


def test_garbage_key_file_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "bad.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"not a key")
    os.close(fd)
    with pytest.raises(InvalidRecordError) as info:
        load_private_key(path)
    assert info.value.reason is Reason.KEY_DOCUMENT_INVALID


def test_key_id_is_derived_from_the_public_key_only() -> None:
    key = private_key_from_seed(SEED)
    assert key_id(key) == key_id(key.public_key()) == key_id(public_key_bytes(key))
    assert len(key_id(key)) == 16
    assert key_id(private_key_from_seed(bytes(32))) != key_id(key)


def test_b64url_round_trips_and_rejects_other_alphabets() -> None:
    for data in (b"", b"\xff", b"\xfb\xff", bytes(range(40))):
        assert b64url_decode(b64url_encode(data)) == data
    for bad in ("a+b/", "abc$", "a", "AB"):  # "AB" has non-zero trailing bits
        with pytest.raises(InvalidRecordError):
            b64url_decode(bad)


def test_key_document_round_trips_in_both_shapes() -> None:
    doc = _doc()
    assert KeyDocument.from_json(doc.to_json()) == doc
    assert KeyDocument.from_json(doc.to_nexart_wellknown()) == doc
    wellknown = doc.to_nexart_wellknown()
    assert wellknown["activeKid"] == doc.keys[1].kid
    entry = wellknown["keys"][1]
    assert entry["publicKeyJwk"]["kty"] == "OKP" and entry["publicKeyJwk"]["crv"] == "Ed25519"
    assert base64.b64decode(entry["publicKeySpkiB64"]).endswith(doc.keys[1].public_key)


def test_nexart_document_with_only_jwk_or_only_spki_parses() -> None:
    doc = _doc()
    for keep in ("publicKeyJwk", "publicKeySpkiB64"):
        wellknown = doc.to_nexart_wellknown()
        for item in wellknown["keys"]:
            for field in ("publicKey", "publicKeyJwk", "publicKeySpkiB64"):
                if field != keep:
                    item.pop(field)
        assert KeyDocument.from_json(wellknown).keys == doc.keys


def test_strict_lookup_by_kid_never_falls_back() -> None:
    doc = _doc()
    assert doc.find(doc.keys[0].kid) == doc.keys[0]
    assert doc.find("k1") is None
    assert doc.find("") is None


def test_revocation_records_time_and_reason() -> None:
    doc = _doc().with_state(_doc().keys[1].kid, KeyState.REVOKED, "2026-03-01T00:00:00Z", "leak")
    entry = KeyDocument.from_json(doc.to_json()).keys[1]
    assert entry.state is KeyState.REVOKED
    assert (entry.revoked_at, entry.reason) == ("2026-03-01T00:00:00Z", "leak")
    assert doc.active is None


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(keys="nope"),
        lambda d: d.update(nodeId=""),
        lambda d: d["keys"][0].update(publicKey="AAAA"),
        lambda d: d["keys"][0].update(status="lost"),
        lambda d: d["keys"][0].update(kid=d["keys"][1]["kid"]),
        lambda d: d["keys"][0].update(kid="0000000000000000"),  # ours: kid must match the key
        lambda d: d["keys"][0].update(status="revoked"),  # revoked without revokedAt
    ],
)
def test_malformed_key_documents_are_rejected(mutate) -> None:  # type: ignore[no-untyped-def]
    value = _doc().to_json()
    mutate(value)
    with pytest.raises(InvalidRecordError) as info:
        KeyDocument.from_json(value)
    assert info.value.reason is Reason.KEY_DOCUMENT_INVALID
