"""Fast twins of :mod:`cerkit.schema`'s checks, for the hot path of sealing and verification.

Each predicate here answers "``*_errors(...) == []``" for the common case with inline type
tests (``type(v) is str and v``): they run on every record sealed or verified
(bench/seal_verify.py). Each may answer False for a valid value of an unusual type (a
``dict`` subclass, say), never True for an invalid one: on False, callers ask the
authoritative ``schema.*_errors`` function, which decides and explains.
``tests/test_seal.py`` checks that they never accept what the full checks reject.
"""

from __future__ import annotations

import operator
from typing import Any

from cerkit.bundle import (
    BUNDLE_TYPE,
    BUNDLE_VERSION,
    EXECUTION_SURFACE,
    PROTOCOL_PROFILES,
    SNAPSHOT_TYPE,
)
from cerkit.digest import DIGEST_PATTERN


def _digest(value: Any) -> bool:
    return type(value) is str and len(value) == 71 and DIGEST_PATTERN.fullmatch(value) is not None


def parameters_are_valid(parameters: Any) -> bool:
    """``parameter_errors(parameters) == []``, decided fast for the common case."""
    if type(parameters) is not dict:
        return False
    get = parameters.get
    temperature, max_tokens, top_p, seed = (
        get("temperature"),
        get("maxTokens"),
        get("topP"),
        get("seed"),
    )
    return (
        (type(temperature) is int or (type(temperature) is float and temperature * 0 == 0))
        and (type(max_tokens) is int or (type(max_tokens) is float and max_tokens * 0 == 0))
        and (top_p is None or type(top_p) is int or (type(top_p) is float and top_p * 0 == 0))
        and (seed is None or type(seed) is int or (type(seed) is float and seed * 0 == 0))
    )


def given_fields_are_valid(snapshot: dict[str, Any], redacted: bool = False) -> bool:
    """The part of :func:`snapshot_is_valid` about what a caller of ``createSnapshot``
    gives (sealing computes the rest): ``executionId``, ``timestamp``, ``provider``,
    ``model`` and, unless ``redacted``, ``prompt`` non-empty strings, and ``input`` and
    ``output`` present."""
    try:
        if redacted:
            execution_id, timestamp, provider, model = _identity(snapshot)
            prompt, payload_in, payload_out = "-", True, True
        else:
            execution_id, timestamp, provider, model, prompt, payload_in, payload_out = _given(
                snapshot
            )
    except KeyError:
        return False
    # A condition of an ``if`` (not a returned ``and`` chain) tests faster: it runs for
    # every record sealed or verified.
    if (
        type(execution_id) is str
        and execution_id
        and type(timestamp) is str
        and timestamp
        and type(provider) is str
        and provider
        and type(model) is str
        and model
        and type(prompt) is str
        and prompt
    ):
        return payload_in is not None and payload_out is not None
    return False


# One C call for the fields read on every record (a KeyError means one is missing).
_identity = operator.itemgetter("executionId", "timestamp", "provider", "model")
_given = operator.itemgetter(
    "executionId", "timestamp", "provider", "model", "prompt", "input", "output"
)


def snapshot_is_valid(
    snapshot: Any, *, redacted: bool = False, digests: bool = True, dropped_digests: bool = False
) -> bool:
    """``snapshot_errors(snapshot, redacted=redacted) == []``, decided fast.

    With ``digests=False`` the ``inputHash``/``outputHash`` are only checked to be strings:
    for callers that compare them with recomputed digests (equal to one, a digest is well
    formed) and consult ``snapshot_errors`` when a comparison fails. With
    ``dropped_digests=True`` an absent one passes (a redacted copy drops them) and a present
    one must be well formed.
    """
    if type(snapshot) is not dict:
        return False
    get = snapshot.get
    protocol = get("protocolVersion")
    if not (
        get("type") == SNAPSHOT_TYPE
        and type(protocol) is str
        and protocol in PROTOCOL_PROFILES
        and get("executionSurface") == EXECUTION_SURFACE
        and given_fields_are_valid(snapshot, redacted)
        and parameters_are_valid(get("parameters"))
    ):
        return False
    if not digests:
        return type(get("inputHash")) is str and type(get("outputHash")) is str
    if dropped_digests:
        return ("inputHash" not in snapshot or _digest(get("inputHash"))) and (
            "outputHash" not in snapshot or _digest(get("outputHash"))
        )
    return _digest(get("inputHash")) and _digest(get("outputHash"))


def bundle_is_valid(bundle: Any, *, digests: bool = True) -> bool:
    """``bundle_errors(bundle) == []``, decided fast (``digests`` as for
    :func:`snapshot_is_valid`, for ``certificateHash``)."""
    if type(bundle) is not dict:
        return False
    get = bundle.get
    created_at, meta = get("createdAt"), get("meta")
    return (
        get("bundleType") == BUNDLE_TYPE
        and get("version") == BUNDLE_VERSION
        and type(created_at) is str
        and created_at != ""
        and (_digest(get("certificateHash")) if digests else type(get("certificateHash")) is str)
        and "snapshot" in bundle
        and (meta is None or type(meta) is dict)
    )
