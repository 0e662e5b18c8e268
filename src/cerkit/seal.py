"""Sealing: NexArt ``createSnapshot`` and ``sealCer`` semantics, pure and deterministic.

Sealing takes values and returns values: the same arguments and ``createdAt`` give the same
``certificateHash`` on any machine. The clock is injected (``now``); capture lives elsewhere.

>>> bundle = seal_args(
...     {"executionId": "e1", "provider": "openai", "model": "gpt-4o", "prompt": "p",
...      "input": "2+2?", "output": "4", "parameters": {"temperature": 0, "maxTokens": 8},
...      "timestamp": "2026-01-01T00:00:00.000Z"},
...     created_at="2026-01-01T00:00:00.000Z")
>>> bundle["certificateHash"][:15]
'sha256:4e2d3d6c'
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cerkit.canonical import canonicalize
from cerkit.digest import PREFIX, HexDigest, hash_payload
from cerkit.errors import SchemaError
from cerkit.record import (
    BUNDLE_TYPE,
    BUNDLE_VERSION,
    DEFAULT_PROTOCOL_VERSION,
    DEFAULT_SDK_VERSION,
    EXECUTION_SURFACE,
    OPTIONAL_HASHED_FIELDS,
    SNAPSHOT_FIELDS,
    SNAPSHOT_TYPE,
    profile_for,
)
from cerkit.schema import parameter_errors, snapshot_errors

Clock = Callable[[], str]

# createSnapshot arguments that are not copied verbatim into the snapshot.
_DERIVED = frozenset(("parameters", "inputHash", "outputHash", "type", "executionSurface"))


def iso_now() -> str:
    """The current UTC time as JavaScript's ``Date.prototype.toISOString`` writes it."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def create_snapshot(args: Mapping[str, Any], *, now: Clock = iso_now) -> dict[str, Any]:
    """Build a snapshot from ``createSnapshot`` arguments.

    Follows NexArt's ``createSnapshot``: the 16 fields in its order, ``timestamp`` defaulting
    to ``now()``, ``modelVersion`` and ``appId`` to null, ``sdkVersion`` to ``"0.1.0"``,
    ``parameters.topP``/``seed`` to null, and the input/output hashes computed. Unlike NexArt,
    any other argument is kept as an extra snapshot field (hashed), and extra parameter keys
    are kept after the four NexArt ones, so nothing the caller gave is dropped.

    Raises:
        SchemaError: the arguments do not make a snapshot NexArt would verify.
    """
    if not isinstance(args, Mapping):
        raise SchemaError("createSnapshot arguments must be a JSON object")
    errors = parameter_errors(args.get("parameters"))
    if errors:
        raise SchemaError("; ".join(errors))
    parameters: Mapping[str, Any] = args["parameters"]
    protocol = args.get("protocolVersion", DEFAULT_PROTOCOL_VERSION)
    profile = profile_for({"protocolVersion": protocol})
    snapshot: dict[str, Any] = {
        "type": SNAPSHOT_TYPE,
        "protocolVersion": protocol,
        "executionSurface": EXECUTION_SURFACE,
        "executionId": args.get("executionId"),
        "timestamp": args["timestamp"] if args.get("timestamp") is not None else now(),
        "provider": args.get("provider"),
        "model": args.get("model"),
        "modelVersion": args.get("modelVersion"),
        "prompt": args.get("prompt"),
        "input": args.get("input"),
        "inputHash": hash_payload(args.get("input"), profile),
        "parameters": {
            "temperature": parameters["temperature"],
            "maxTokens": parameters["maxTokens"],
            "topP": parameters.get("topP"),
            "seed": parameters.get("seed"),
            **{k: v for k, v in parameters.items() if k not in _NEXART_PARAMETERS},
        },
        "output": args.get("output"),
        "outputHash": hash_payload(args.get("output"), profile),
        "sdkVersion": args["sdkVersion"]
        if args.get("sdkVersion") is not None
        else DEFAULT_SDK_VERSION,
        "appId": args.get("appId"),
    }
    for name, value in args.items():
        if name not in snapshot and name not in _DERIVED:
            snapshot[name] = value
    errors = snapshot_errors(snapshot)
    if errors:
        raise SchemaError("; ".join(errors))
    return snapshot


_NEXART_PARAMETERS = frozenset(("temperature", "maxTokens", "topP", "seed"))


def certificate_hash(bundle: Mapping[str, Any]) -> HexDigest:
    """Compute the ``certificateHash`` a bundle should carry (meta is never hashed)."""
    snapshot = bundle.get("snapshot")
    profile = profile_for(snapshot if isinstance(snapshot, Mapping) else {})
    payload = {
        "bundleType": bundle.get("bundleType"),
        "createdAt": bundle.get("createdAt"),
        "snapshot": snapshot,
        "version": bundle.get("version"),
    }
    for name in OPTIONAL_HASHED_FIELDS:
        if name in bundle:
            payload[name] = bundle[name]
    return HexDigest(PREFIX + hashlib.sha256(canonicalize(payload, profile)).hexdigest())


def seal(
    snapshot: Mapping[str, Any],
    *,
    created_at: str | None = None,
    now: Clock = iso_now,
    context: Any = None,
    context_summary: Any = None,
    policy_evaluation: Any = None,
    meta: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Seal a snapshot into a bundle (NexArt ``sealCer``), computing ``certificateHash``.

    ``context``, ``contextSummary`` and ``policyEvaluation`` are added and hashed when given;
    ``meta`` is attached unhashed.
    """
    bundle: dict[str, Any] = {
        "bundleType": BUNDLE_TYPE,
        "certificateHash": "",
        "createdAt": created_at if created_at is not None else now(),
        "version": BUNDLE_VERSION,
        "snapshot": snapshot,
    }
    for name, value in (
        ("context", context),
        ("contextSummary", context_summary),
        ("policyEvaluation", policy_evaluation),
    ):
        if value is not None:
            bundle[name] = value
    bundle["certificateHash"] = certificate_hash(bundle)
    if meta is not None:
        bundle["meta"] = dict(meta)
    return bundle


def seal_args(
    args: Mapping[str, Any], *, created_at: str | None = None, now: Clock = iso_now
) -> dict[str, Any]:
    """``create_snapshot`` then ``seal``: one call from arguments to a sealed bundle."""
    return seal(create_snapshot(args, now=now), created_at=created_at, now=now)


__all__ = [
    "SNAPSHOT_FIELDS",
    "certificate_hash",
    "create_snapshot",
    "iso_now",
    "seal",
    "seal_args",
]
