"""Log checkpoints as C2SP signed notes (c2sp.org/tlog-checkpoint, c2sp.org/signed-note).

A checkpoint body is three lines, ``origin``, the decimal tree size and the standard base64
root hash, each ending in a newline (plus optional extension lines). A signed note is the
body, one blank line, and one signature line per signer:
``— <key name> <base64(key hash || Ed25519 signature)>``. The key hash of an Ed25519 key is
the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key). Pure: no clock, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cerkit.errors import InvalidRecordError, Reason
from cerkit.keys import public_key_bytes, public_key_from_bytes
from cerkit.merkle import HASH_SIZE

#: Largest note accepted. A checkpoint is three short lines and a few signatures; a
#: hostile multi-megabyte note should cost nothing to reject.
MAX_NOTE_BYTES: Final[int] = 64 * 1024
#: c2sp.org/signed-note: verifiers may stop after 100 signature lines.
MAX_SIGNATURES: Final[int] = 100
#: Longest node id or log origin cerkit creates or loads. The specs set no bound; a name is
#: repeated in every checkpoint and signature line, and real ones are a host and a path.
MAX_KEY_NAME_CHARS: Final[int] = 256
#: Signature type byte of plain Ed25519 in signed-note key hashes and verifier keys.
ED25519_TYPE: Final[int] = 0x01

_EM_DASH: Final[str] = "\u2014 "
# c2sp.org/signed-note: the text holds no ASCII control character other than newline.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_SIZE = re.compile(r"^(0|[1-9][0-9]{0,19})$")


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's signed statement "my tree of ``size`` leaves has head ``root``"."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def body(self) -> str:
        """The note text: origin, size and base64 root, one per line (c2sp tlog-checkpoint)."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "".join(f"{line}\n" for line in (*lines, *self.extensions))


def _malformed(message: str) -> InvalidRecordError:
    return InvalidRecordError(f"checkpoint: {message}", Reason.CHECKPOINT_MALFORMED)


def key_name_problem(name: object) -> str | None:
    """Why ``name`` cannot name a signed-note key or a checkpoint origin, or None.

    c2sp.org/signed-note: a key name is non-empty, well-formed UTF-8, with neither Unicode
    spaces nor "+"; the note text it appears in holds no control characters
    (c2sp.org/tlog-checkpoint puts the origin, the same name here, on the first line).
    """
    if not isinstance(name, str) or not name:
        return "is empty"
    if len(name) > MAX_KEY_NAME_CHARS:
        return f"is longer than {MAX_KEY_NAME_CHARS} characters"
    if "+" in name:
        return 'contains "+"'
    if any(c.isspace() or unicodedata.category(c) == "Zs" for c in name):
        return "contains whitespace or a line break"
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        return "contains a control character or a lone surrogate"
    return None


def check_key_name(name: object, what: str = "key name") -> None:
    """Raise ``InvalidRecordError(KEY_NAME_INVALID)`` unless ``name`` is a valid key name
    (:func:`key_name_problem`); ``what`` says which name, for the message."""
    problem = key_name_problem(name)
    if problem is not None:
        shown = repr(name)[:80]
        raise InvalidRecordError(
            f"{what} {shown} {problem} (c2sp.org/signed-note key names)", Reason.KEY_NAME_INVALID
        )


def _check_name(name: str) -> None:
    if key_name_problem(name) is not None:
        raise _malformed(f"invalid key name {name!r}")


def key_hash(name: str, public_key: Ed25519PublicKey | bytes) -> bytes:
    """The 4-byte key hash that prefixes a signature (c2sp.org/signed-note)."""
    raw = public_key if isinstance(public_key, bytes) else public_key_bytes(public_key)
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519_TYPE]) + raw)
    return digest.digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey | bytes) -> str:
    """The ``name+hash+base64(0x01||key)`` verifier key string of Go's sumdb/note."""
    raw = public_key if isinstance(public_key, bytes) else public_key_bytes(public_key)
    encoded = base64.b64encode(bytes([ED25519_TYPE]) + raw).decode("ascii")
    return f"{name}+{key_hash(name, raw).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """Inverse of :func:`verifier_key`; checks the embedded hash."""
    parts = vkey.split("+", 2)  # the base64 key itself may contain "+"
    if len(parts) != 3:
        raise _malformed("verifier key is name+hash+key")
    name, hash_hex, encoded = parts
    _check_name(name)
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("verifier key is not base64") from None
    if len(raw) != 33 or raw[0] != ED25519_TYPE:
        raise _malformed("verifier key is not an Ed25519 key")
    if key_hash(name, raw[1:]).hex() != hash_hex:
        raise _malformed("verifier key hash does not match")
    return name, public_key_from_bytes(raw[1:])


def sign_note(text: str, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign ``text`` (which must end in a newline) and return the signed note."""
    _check_name(key_name)
    if not text.endswith("\n") or _CONTROL.search(text):
        raise _malformed("note text must end in a newline and hold no control characters")
    signature = private_key.sign(text.encode("utf-8"))
    blob = key_hash(key_name, private_key.public_key()) + signature
    return f"{text}\n{_EM_DASH}{key_name} {base64.b64encode(blob).decode('ascii')}\n"


def sign_checkpoint(cp: Checkpoint, key_name: str, private_key: Ed25519PrivateKey) -> str:
    """The signed note of a checkpoint.

    >>> from cerkit.keys import private_key_from_seed
    >>> note = sign_checkpoint(Checkpoint("example/log", 0, bytes(32)), "example/log",
    ...                        private_key_from_seed(bytes(32)))
    >>> note.splitlines()[:3]
    ['example/log', '0', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=']
    """
    return sign_note(cp.body(), key_name, private_key)


def _split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """``(text, [(key name, key hash || signature)])``, or CHECKPOINT_MALFORMED."""
    if not isinstance(note, str) or len(note.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise _malformed("note must be a string of at most 64 KiB")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise _malformed("no signature block")
    text, block = note[: cut + 1], note[cut + 2 :]
    if _CONTROL.search(note):
        raise _malformed("control characters in note")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise _malformed("too many signatures")
    sigs = []
    for line in lines:
        if not line.startswith(_EM_DASH):
            raise _malformed("signature line must start with an em dash")
        name, _, encoded = line[len(_EM_DASH) :].partition(" ")
        _check_name(name)
        try:
            blob = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise _malformed("signature is not base64") from None
        if len(blob) < 5 or base64.b64encode(blob).decode("ascii") != encoded:
            raise _malformed("signature must be canonical base64 of key hash and signature")
        sigs.append((name, blob))
    return text, sigs


def open_note(note: str, verifiers: Iterable[tuple[str, Ed25519PublicKey]]) -> str:
    """Return the text of ``note`` if one of ``verifiers`` (name, key) signed it.

    Signatures by unknown keys are ignored, as c2sp.org/signed-note requires.

    Raises:
        InvalidRecordError: ``CHECKPOINT_MALFORMED`` or ``CHECKPOINT_SIGNATURE_INVALID``.
    """
    text, sigs = _split_note(note)
    known = {(name, key_hash(name, key)): key for name, key in verifiers}
    message = text.encode("utf-8")
    matched = False
    for name, blob in sigs:
        key = known.get((name, blob[:4]))
        if key is None:
            continue
        matched = True
        try:
            key.verify(blob[4:], message)
        except InvalidSignature:
            continue
        return text
    detail = "signature does not verify" if matched else "not signed by a trusted key"
    raise InvalidRecordError(f"checkpoint: {detail}", Reason.CHECKPOINT_SIGNATURE_INVALID)


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint body (the note text, already verified)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise _malformed("a checkpoint has origin, size and root lines")
    origin, size_text, root_text, *extensions = lines[:-1]
    if not origin or not _SIZE.match(size_text):
        raise _malformed("bad origin or size line")
    size = int(size_text)
    if size >= 1 << 64:
        raise _malformed("tree size out of range")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError):
        raise _malformed("root hash is not base64") from None
    if len(root) != HASH_SIZE or base64.b64encode(root).decode("ascii") != root_text:
        raise _malformed("root hash must be 32 bytes in canonical base64")
    return Checkpoint(origin, size, root, tuple(extensions))


def open_checkpoint_with(
    note: str, origin: str, verifiers: Iterable[tuple[str, Ed25519PublicKey]]
) -> Checkpoint:
    """Verify a signed checkpoint against several trusted keys and check its origin."""
    cp = parse_checkpoint(open_note(note, verifiers))
    if cp.origin != origin:
        raise InvalidRecordError(
            f"checkpoint is for log {cp.origin!r}, not {origin!r}",
            Reason.CHECKPOINT_SIGNATURE_INVALID,
        )
    return cp


def open_checkpoint(
    note: str, origin: str, key_name: str, public_key: Ed25519PublicKey
) -> Checkpoint:
    """Verify a signed checkpoint with one trusted key; return the checkpoint.

    Raises:
        InvalidRecordError: ``CHECKPOINT_MALFORMED`` or ``CHECKPOINT_SIGNATURE_INVALID``.
    """
    return open_checkpoint_with(note, origin, [(key_name, public_key)])


def peek_checkpoint(note: str) -> Checkpoint:
    """Parse a note's checkpoint WITHOUT verifying any signature (for display and routing)."""
    text, _ = _split_note(note)
    return parse_checkpoint(text)
