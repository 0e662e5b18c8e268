"""C2SP signed notes and tlog checkpoints: a Go sumdb/note known answer and the spec rules."""

from __future__ import annotations

import base64
import hashlib

import pytest

from cerkit.checkpoint import (
    Checkpoint,
    key_hash,
    open_checkpoint,
    open_checkpoint_with,
    open_note,
    parse_checkpoint,
    parse_verifier_key,
    peek_checkpoint,
    sign_checkpoint,
    sign_note,
    verifier_key,
)
from cerkit.errors import InvalidRecordError, Reason
from cerkit.keys import private_key_from_seed, public_key_bytes
from cerkit.merkle import leaf_hash

# golang.org/x/mod/sumdb/note, note.go package documentation and note_test.go: a private
# key, its verifier key, a text, and the exact signed note Go produces for them.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)
# A real checkpoint of the Go checksum database as served by sum.golang.org (quoted in a
# public write-up of the go.sum lookup cache), and sum.golang.org's published verifier key
# (golang.org/x/mod/sumdb, also used by transparency-dev/formats tests). Origin and key
# name differ here: origin "go.sum database tree", key name "sum.golang.org".
SUMDB_VKEY = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
SUMDB_NOTE = (
    "go.sum database tree\n63096908\n8lHrQPRYe4KT4WQ9/Qk8/taKnD6IRHbFgfN7vQE2Y54=\n\n"
    "\u2014 sum.golang.org Az3gri/oVBN1jAhNZ/iS+W31psFAWRT20/GyrhpU6taFwulQGetBkH5S7wpGXdS935"
    "jiIGiUUAXBVHzT/P6fYhqAmAk=\n"
)
ORIGIN = "cerkit.test/log"
KEY = private_key_from_seed(bytes(range(32)))


def _go_key():  # type: ignore[no-untyped-def]
    raw = base64.b64decode(GO_SKEY.split("+", 4)[4])
    assert raw[0] == 1
    return private_key_from_seed(raw[1:])


def test_signing_reproduces_go_sumdb_note_byte_for_byte() -> None:
    key = _go_key()
    assert verifier_key("PeterNeumann", key.public_key()) == GO_VKEY
    assert sign_note(GO_TEXT, "PeterNeumann", key) == GO_NOTE
    name, public = parse_verifier_key(GO_VKEY)
    assert open_note(GO_NOTE, [(name, public)]) == GO_TEXT


def test_go_note_with_one_changed_character_does_not_open() -> None:
    name, public = parse_verifier_key(GO_VKEY)
    with pytest.raises(InvalidRecordError) as info:
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), [(name, public)])
    assert info.value.reason is Reason.CHECKPOINT_SIGNATURE_INVALID


def test_note_signed_by_our_code_verifies_by_the_spec_rules() -> None:
    """Check the signed-note rules from first principles, independently of open_note."""
    cp = Checkpoint(ORIGIN, 7, leaf_hash(b"x"))
    note = sign_checkpoint(cp, ORIGIN, KEY)
    text, _, sig_block = note.rpartition("\n\n")
    text += "\n"
    assert text == f"{ORIGIN}\n7\n{base64.b64encode(cp.root).decode()}\n"
    (line,) = sig_block.splitlines()
    assert line.startswith("\u2014 " + ORIGIN + " ")
    blob = base64.b64decode(line.split(" ")[2])
    raw = public_key_bytes(KEY)
    expected_hash = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + raw).digest()[:4]
    assert blob[:4] == expected_hash == key_hash(ORIGIN, raw)
    KEY.public_key().verify(blob[4:], text.encode())  # raises if the signature is wrong
    assert open_checkpoint(note, ORIGIN, ORIGIN, KEY.public_key()) == cp


def test_unknown_signatures_are_ignored_and_a_known_one_suffices() -> None:
    other = private_key_from_seed(bytes(32))
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, bytes(32)), ORIGIN, KEY)
    cosigned = note + sign_note("x\n", "witness", other).splitlines(keepends=True)[-1]
    assert open_checkpoint(cosigned, ORIGIN, ORIGIN, KEY.public_key()).size == 1
    with pytest.raises(InvalidRecordError) as info:
        open_checkpoint(note, ORIGIN, ORIGIN, other.public_key())
    assert info.value.reason is Reason.CHECKPOINT_SIGNATURE_INVALID


def test_every_single_byte_change_in_a_checkpoint_note_is_rejected() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 42, leaf_hash(b"root")), ORIGIN, KEY)
    for i in range(len(note)):
        changed = note[:i] + ("A" if note[i] != "A" else "B") + note[i + 1 :]
        with pytest.raises(InvalidRecordError) as info:
            open_checkpoint(changed, ORIGIN, ORIGIN, KEY.public_key())
        assert info.value.reason in (
            Reason.CHECKPOINT_SIGNATURE_INVALID,
            Reason.CHECKPOINT_MALFORMED,
        )


def test_wrong_origin_is_rejected_even_with_a_good_signature() -> None:
    note = sign_checkpoint(Checkpoint("other/log", 1, bytes(32)), ORIGIN, KEY)
    with pytest.raises(InvalidRecordError):
        open_checkpoint_with(note, ORIGIN, [(ORIGIN, KEY.public_key())])
    assert peek_checkpoint(note).origin == "other/log"


@pytest.mark.parametrize(
    "body",
    [
        "log\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",  # leading zero
        "log\n-1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "log\n1\nAAAA\n",  # short root
        "log\n1\n",
        "\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        "log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  # no final newline
    ],
)
def test_malformed_checkpoint_bodies_are_rejected(body: str) -> None:
    with pytest.raises(InvalidRecordError) as info:
        parse_checkpoint(body)
    assert info.value.reason is Reason.CHECKPOINT_MALFORMED


def test_checkpoint_extension_lines_round_trip() -> None:
    cp = Checkpoint(ORIGIN, 3, bytes(32), ("extension line",))
    assert parse_checkpoint(cp.body()) == cp


def test_bad_key_names_are_refused() -> None:
    for name in ("", "a b", "a+b"):
        with pytest.raises(InvalidRecordError):
            sign_note("x\n", name, KEY)


def test_control_characters_are_refused_in_notes() -> None:
    with pytest.raises(InvalidRecordError):
        sign_note("carriage\r\n", "name", KEY)
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, bytes(32)), ORIGIN, KEY)
    with pytest.raises(InvalidRecordError) as info:
        open_checkpoint(note.replace("\n", "\r\n", 1), ORIGIN, ORIGIN, KEY.public_key())
    assert info.value.reason is Reason.CHECKPOINT_MALFORMED


def test_a_real_sum_golang_org_checkpoint_verifies() -> None:
    name, public = parse_verifier_key(SUMDB_VKEY)
    assert name == "sum.golang.org"
    cp = open_checkpoint_with(SUMDB_NOTE, "go.sum database tree", [(name, public)])
    assert cp.size == 63096908
    assert base64.b64encode(cp.root).decode() == "8lHrQPRYe4KT4WQ9/Qk8/taKnD6IRHbFgfN7vQE2Y54="
    with pytest.raises(InvalidRecordError) as info:
        open_checkpoint_with(SUMDB_NOTE.replace("63096908", "63096909"), "go.sum database tree",
                             [(name, public)])  # fmt: skip
    assert info.value.reason is Reason.CHECKPOINT_SIGNATURE_INVALID
