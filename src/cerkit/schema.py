"""Structural rules of bundles and snapshots, as NexArt's ``verifySnapshot`` enforces them.

Each function returns the list of problems found (empty means valid), so the verifier can
report all of them at once and ``seal`` can refuse to seal a record NexArt would reject.
Sealing and verification first ask the private fast twins in :mod:`cerkit._schema_fast`,
which may say "not sure" but never "valid" for what these functions reject.
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
from cerkit.digest import is_digest


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
