"""Structural rules of bundles and snapshots, as NexArt's ``verifySnapshot`` enforces them.

Each function returns the list of problems found (empty means valid), so the verifier can
report all of them at once and ``seal`` can refuse to seal a record NexArt would reject.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cerkit.bundle import (
    BUNDLE_TYPE,
    BUNDLE_VERSION,
    EXECUTION_SURFACE,
    PROTOCOL_PROFILES,
    SNAPSHOT_TYPE,
)
from cerkit.digest import DIGEST_PATTERN, is_digest


def _is_number(value: Any) -> bool:
    kind = type(value)
    return (kind is int) or (kind is float and math.isfinite(value))


def parameter_errors(parameters: Any) -> list[str]:
    """NexArt's parameter rules: ``temperature`` and ``maxTokens`` finite numbers,
    ``topP`` and ``seed`` finite numbers or null."""
    if not isinstance(parameters, Mapping):
        return ["parameters must be an object"]
    errors = []
    for name in ("temperature", "maxTokens"):
        if not _is_number(parameters.get(name)):
            errors.append(f"parameters.{name} must be a finite number")
    for name in ("topP", "seed"):
        value = parameters.get(name)
        if value is not None and not _is_number(value):
            errors.append(f"parameters.{name} must be a finite number or null")
    return errors


def _non_empty_string(snapshot: Mapping[str, Any], name: str) -> bool:
    value = snapshot.get(name)
    return isinstance(value, str) and value != ""


def _fast_digest(value: Any) -> bool:
    return type(value) is str and len(value) == 71 and DIGEST_PATTERN.fullmatch(value) is not None


# The fast predicates below inline their checks (``type(v) is str and v``): they run on every
# record sealed or verified. Each may answer False for a valid value of an unusual type (a
# ``dict`` subclass, say), never True for an invalid one: on False, callers ask the
# authoritative ``*_errors`` function.


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


def snapshot_is_valid(snapshot: Any, *, redacted: bool = False, digests: bool = True) -> bool:
    """``snapshot_errors(snapshot, redacted=redacted) == []``, decided fast.

    With ``digests=False`` the ``inputHash``/``outputHash`` are only checked to be strings:
    for callers that compare them with recomputed digests (equal to one, a digest is well
    formed) and consult ``snapshot_errors`` when a comparison fails.
    """
    if type(snapshot) is not dict:
        return False
    get = snapshot.get
    protocol, execution_id, timestamp, provider, model = (
        get("protocolVersion"),
        get("executionId"),
        get("timestamp"),
        get("provider"),
        get("model"),
    )
    if not (
        get("type") == SNAPSHOT_TYPE
        and type(protocol) is str
        and protocol in PROTOCOL_PROFILES
        and get("executionSurface") == EXECUTION_SURFACE
        and type(execution_id) is str
        and execution_id
        and type(timestamp) is str
        and timestamp
        and type(provider) is str
        and provider
        and type(model) is str
        and model
    ):
        return False
    if not redacted:
        prompt = get("prompt")
        if not (
            type(prompt) is str
            and prompt
            and get("input") is not None
            and get("output") is not None
        ):
            return False
    if not digests:
        return (
            parameters_are_valid(get("parameters"))
            and type(get("inputHash")) is str
            and type(get("outputHash")) is str
        )
    return (
        parameters_are_valid(get("parameters"))
        and _fast_digest(get("inputHash"))
        and _fast_digest(get("outputHash"))
    )


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
        and (
            _fast_digest(get("certificateHash")) if digests else type(get("certificateHash")) is str
        )
        and "snapshot" in bundle
        and (meta is None or type(meta) is dict)
    )


def snapshot_errors(snapshot: Any, *, redacted: bool = False) -> list[str]:
    """Problems with a snapshot's shape. ``redacted`` accepts the absence of ``prompt``,
    ``input`` and ``output`` (a redacted reseal keeps only their hashes)."""
    if not isinstance(snapshot, Mapping):
        return ["snapshot must be an object"]
    errors = []
    if snapshot.get("type") != SNAPSHOT_TYPE:
        errors.append(f"snapshot.type must be {SNAPSHOT_TYPE!r}")
    protocol = snapshot.get("protocolVersion")
    if not isinstance(protocol, str) or protocol not in PROTOCOL_PROFILES:
        errors.append("snapshot.protocolVersion is not supported")
    if snapshot.get("executionSurface") != EXECUTION_SURFACE:
        errors.append(f"snapshot.executionSurface must be {EXECUTION_SURFACE!r}")
    for name in ("executionId", "timestamp", "provider", "model"):
        if not _non_empty_string(snapshot, name):
            errors.append(f"snapshot.{name} must be a non-empty string")
    if not redacted:
        if not _non_empty_string(snapshot, "prompt"):
            errors.append("snapshot.prompt must be a non-empty string")
        for name in ("input", "output"):
            if snapshot.get(name) is None:
                errors.append(f"snapshot.{name} must be a string or a JSON value")
    errors.extend("snapshot." + e for e in parameter_errors(snapshot.get("parameters")))
    for name in ("inputHash", "outputHash"):
        if not is_digest(snapshot.get(name)):
            errors.append(f"snapshot.{name} must be 'sha256:' and 64 lowercase hex digits")
    return errors


def bundle_errors(bundle: Any) -> list[str]:
    """Problems with the bundle envelope (not the snapshot)."""
    if not isinstance(bundle, Mapping):
        return ["a record must be a JSON object"]
    errors = []
    if bundle.get("bundleType") != BUNDLE_TYPE:
        errors.append(f"bundleType must be {BUNDLE_TYPE!r}")
    if bundle.get("version") != BUNDLE_VERSION:
        errors.append(f"version must be {BUNDLE_VERSION!r}")
    if not _non_empty_string(bundle, "createdAt"):
        errors.append("createdAt must be a non-empty string")
    if not is_digest(bundle.get("certificateHash")):
        errors.append("certificateHash must be 'sha256:' and 64 lowercase hex digits")
    if "snapshot" not in bundle:
        errors.append("snapshot is required")
    meta = bundle.get("meta")
    if meta is not None and not isinstance(meta, Mapping):
        errors.append("meta must be an object when present")
    return errors
