"""The fast path of :func:`cerkit.seal.certificate_hash`, for bundles already checked.

Sealing and verification know things about a bundle before they ask for its hash: it passed
the schema checks (so most snapshot fields are strings), they hold the canonical bytes of
``input`` and ``output`` (from computing their hashes), and sealing holds the only reference
to the bundle it is building. These functions use that knowledge to walk only the fields the
checks did not type and to splice the payload bytes in rather than serialize them again
(bench/seal_verify.py). They produce the payload ``bundle.certificate_payload`` describes and
answer ``None`` where they cannot serialize it exactly; the public function then does it
the plain way. ``tests/test_seal.py`` and ``tests/test_fast_paths.py`` check that both agree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from cerkit._canonical_fast import (
    HIGH_BMP,
    SORT_KEYS,
    FastPathUnavailable,
    dumps_prepared,
    is_plain,
    prepare,
    prepare_fast,
    prepared_fragment,
)
from cerkit.bundle import BUNDLE_TYPE, BUNDLE_VERSION, OPTIONAL_HASHED_FIELDS, SNAPSHOT_FIELDS
from cerkit.digest import PREFIX, HexDigest

_sha256 = hashlib.sha256
# The schema checks prove most snapshot fields strings (prompt too, unless redacted) and
# parameters a dict; these NexArt fields they leave untyped (usually strings or null).
_NEXART_FIELDS: Final = frozenset(SNAPSHOT_FIELDS)
_MAYBE_STRING: Final = ("modelVersion", "sdkVersion", "appId")
_MAYBE_STRING_REDACTED: Final = (*_MAYBE_STRING, "prompt")
_OPTIONAL_HASHED: Final = frozenset(OPTIONAL_HASHED_FIELDS)


def checked_certificate_hash(
    bundle: Mapping[str, Any], strict: bool, payloads: Mapping[str, bytes | None]
) -> HexDigest | None:
    """The certificate hash of a bundle that passed ``schema.bundle_errors`` and
    ``schema.snapshot_errors``, or ``None`` where only the plain path applies.

    ``payloads`` holds, for ``input`` and ``output`` (both, or neither for a redacted
    snapshot), the canonical bytes ``digest.payload_digest`` returned (``None`` for a
    string). Only the fields the checks did not type (``modelVersion``, ``parameters``,
    ``sdkVersion``, ``appId``, a redacted ``prompt``, extra fields and the optional hashed
    bundle fields) are walked; the snapshot is copied, never changed.
    """
    view = dict(bundle["snapshot"])
    for name, data in payloads.items():
        if data is not None:
            view[name] = prepared_fragment(data)
    try:
        # prepare_fast, inlined for the parameters (a dict on every checked record)
        parameters = view.get("parameters")
        if parameters is not None and not (type(parameters) is dict and is_plain(parameters, 2)):
            view["parameters"] = prepare(parameters, strict, 2)
        for name in _MAYBE_STRING if payloads else _MAYBE_STRING_REDACTED:
            value = view.get(name)
            if type(value) is not str and value is not None:  # absent or null: as it is
                view[name] = prepare_fast(value, strict, 2)
        if not _NEXART_FIELDS.issuperset(view):
            for name in view.keys() - _NEXART_FIELDS:
                if not str.isascii(name) and max(name) >= HIGH_BMP:
                    return None  # UTF-16 key order differs (see _canonical_fast)
                view[name] = prepare_fast(view[name], strict, 2)
        payload = {
            "bundleType": BUNDLE_TYPE,
            "createdAt": bundle["createdAt"],
            "snapshot": view,
            "version": BUNDLE_VERSION,
        }
        if not _OPTIONAL_HASHED.isdisjoint(bundle):
            for name in OPTIONAL_HASHED_FIELDS:
                if name in bundle:
                    payload[name] = prepare_fast(bundle[name], strict, 1)
        data = dumps_prepared(payload, option=SORT_KEYS)
    except (FastPathUnavailable, TypeError):  # TypeError: a non-string key, a lone surrogate
        return None
    return HexDigest(PREFIX + _sha256(data).hexdigest())


def sealed_certificate_hash(
    bundle: dict[str, Any], strict: bool, payloads: Mapping[str, bytes | None]
) -> HexDigest | None:
    """:func:`checked_certificate_hash` of a bundle ``seal_args`` is building and nobody
    else holds, whose snapshot is simple: no extra fields, every field but ``input``,
    ``output`` and ``parameters`` a string or null. Only those three need their prepared
    forms, so rather than copy the snapshot, it is serialized with the three swapped in, and
    they are put back."""
    snapshot = bundle["snapshot"]
    originals = snapshot["input"], snapshot["output"], snapshot["parameters"]
    input_bytes, output_bytes = payloads["input"], payloads["output"]
    try:
        if input_bytes is not None:
            snapshot["input"] = prepared_fragment(input_bytes)
        if output_bytes is not None:
            snapshot["output"] = prepared_fragment(output_bytes)
        # prepare_fast, inlined: sealing built the parameters dict
        if not is_plain(originals[2], 2):
            snapshot["parameters"] = prepare(originals[2], strict, 2)
        data = dumps_prepared(
            {
                "bundleType": BUNDLE_TYPE,
                "createdAt": bundle["createdAt"],
                "snapshot": snapshot,
                "version": BUNDLE_VERSION,
            },
            option=SORT_KEYS,
        )
    except (FastPathUnavailable, TypeError):  # TypeError: a non-string key, a lone surrogate
        return None
    finally:
        snapshot["input"], snapshot["output"], snapshot["parameters"] = originals
    return HexDigest(PREFIX + _sha256(data).hexdigest())
