"""SHA-256 digests in the ``sha256:<hex>`` form used throughout the record format."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final, NewType

from cerkit._canonical_fast import canonical_bytes
from cerkit.canonical import DEFAULT_PROFILE, Profile, canonicalize, canonicalize_exact

#: A digest written as ``sha256:`` followed by 64 lowercase hex digits.
HexDigest = NewType("HexDigest", str)

PREFIX: Final[str] = "sha256:"
DIGEST_PATTERN: Final[re.Pattern[str]] = re.compile(r"sha256:[0-9a-f]{64}")
_SURROGATE = re.compile("[\ud800-\udfff]")
_sha256 = hashlib.sha256


def sha256_hex(data: bytes) -> HexDigest:
    """``sha256:<hex>`` of raw bytes."""
    return HexDigest(PREFIX + hashlib.sha256(data).hexdigest())


def utf8_bytes(text: str) -> bytes:
    """UTF-8 bytes of a string as Node.js encodes it: lone surrogates become U+FFFD."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        return _SURROGATE.sub("\ufffd", joined).encode("utf-8")


def hash_canonical(value: Any, profile: Profile = DEFAULT_PROFILE) -> HexDigest:
    """``sha256:<hex>`` of the canonical JSON of ``value``."""
    return HexDigest(PREFIX + hashlib.sha256(canonicalize(value, profile)).hexdigest())


def hash_payload(value: Any, profile: Profile = DEFAULT_PROFILE) -> HexDigest:
    """The ``inputHash``/``outputHash`` rule: a string is hashed as its UTF-8 bytes,
    anything else as canonical JSON. So ``'{"a":1}'`` and ``{"a": 1}`` hash alike."""
    return payload_digest(value, profile)[0]


def payload_digest(
    value: Any, profile: Profile = DEFAULT_PROFILE
) -> tuple[HexDigest, bytes | None]:
    """:func:`hash_payload`, plus the canonical bytes it hashed when ``value`` is not a
    string (``None`` for a string), so that sealing and verification can splice them into
    the certificate payload instead of serializing ``value`` a second time."""
    kind = type(value)
    # A dict, the usual JSON payload, needs no subclass check.
    if kind is str or (kind is not dict and isinstance(value, str)):
        try:
            data = value.encode("utf-8")
        except UnicodeEncodeError:
            data = utf8_bytes(value)
        return HexDigest(PREFIX + _sha256(data).hexdigest()), None
    # canonicalize's two paths, called directly: this runs twice for every record sealed or
    # verified (bench/seal_verify.py). The exact path also reports an unknown profile.
    strict = profile == "jcs-v1"
    data = canonical_bytes(value, strict) if strict or profile == "nexart-v1" else None
    if data is None:
        data = canonicalize_exact(value, profile)
    return HexDigest(PREFIX + _sha256(data).hexdigest()), data


def is_digest(value: object) -> bool:
    """True when ``value`` is a well-formed ``sha256:<64 hex>`` string."""
    return isinstance(value, str) and DIGEST_PATTERN.fullmatch(value) is not None
