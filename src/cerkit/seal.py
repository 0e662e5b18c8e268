"""Sealing: NexArt ``createSnapshot`` and ``sealCer`` semantics, pure and deterministic.

Sealing takes values and returns values: the same arguments and ``createdAt`` give the same
``certificateHash`` on any machine. The clock is injected (``now``); capture lives elsewhere.

>>> bundle = seal_args(
...     {"executionId": "e1", "provider": "openai", "model": "gpt-4o", "prompt": "p",
...      "input": "2+2?", "output": "4", "parameters": {"temperature": 0, "maxTokens": 8},
...      "timestamp": "2026-01-01T00:00:00.000Z"},
...     created_at="2026-01-01T00:00:00.000Z")
>>> bundle["certificateHash"][:15]
'sha256:1f4a4a70'
>>> certificate_hash(bundle) == bundle["certificateHash"]
True
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cerkit._certificate_fast import checked_certificate_hash, sealed_certificate_hash
from cerkit._schema_fast import given_fields_are_valid, parameters_are_valid
from cerkit.bundle import (
    BUNDLE_TYPE,
    BUNDLE_VERSION,
    DEFAULT_PROTOCOL_VERSION,
    DEFAULT_SDK_VERSION,
    EXECUTION_SURFACE,
    PARAMETER_FIELDS,
    PROTOCOL_PROFILES,
    SNAPSHOT_FIELDS,
    SNAPSHOT_TYPE,
    certificate_payload,
    profile_for,
)
from cerkit.canonical import Profile, canonicalize
from cerkit.digest import PREFIX, HexDigest, payload_digest
from cerkit.errors import SchemaError
from cerkit.schema import parameter_errors, snapshot_errors

Clock = Callable[[], str]
_sha256 = hashlib.sha256


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
        UnsupportedProtocolError: ``protocolVersion`` is given and not supported.
        CanonicalizationError: ``input`` or ``output`` has no canonical form.
    """
    return _build_snapshot(args, now)[0]


def _build_snapshot(
    args: Mapping[str, Any], now: Clock
) -> tuple[dict[str, Any], dict[str, bytes | None], Profile, bool]:
    """The snapshot, the canonical bytes of its input and output (``payloads`` of
    :func:`certificate_hash`), its canonical profile, and whether it is simple: no extra
    fields, and ``modelVersion``, ``sdkVersion`` and ``appId`` strings or null."""
    if type(args) is not dict and not isinstance(args, Mapping):
        raise SchemaError("createSnapshot arguments must be a JSON object")
    get = args.get
    parameters: Any = get("parameters")
    if not parameters_are_valid(parameters):
        errors = parameter_errors(parameters)
        if errors:
            raise SchemaError("; ".join(errors + _other_field_errors(args, now)))
    protocol = get("protocolVersion", DEFAULT_PROTOCOL_VERSION)
    profile = _PROFILES.get(protocol) if type(protocol) is str else None
    if profile is None:
        profile = profile_for({"protocolVersion": protocol})  # raises the documented error
    input_hash, input_bytes = payload_digest(get("input"), profile)
    output_hash, output_bytes = payload_digest(get("output"), profile)
    snapshot = _nexart_snapshot(args, protocol, parameters, input_hash, output_hash, now)
    extras = not _KNOWN_ARGUMENTS.issuperset(args)
    if extras:
        snapshot.update((k, v) for k, v in args.items() if k not in _KNOWN_ARGUMENTS)
    # Sealing wrote the other fields; when the fast check says no, the authoritative
    # snapshot_errors decides and explains.
    if not given_fields_are_valid(snapshot):
        errors = snapshot_errors(snapshot)
        if errors:
            raise SchemaError("; ".join(errors))
    simple = (
        not extras
        and type(snapshot["modelVersion"]) in _STRING_OR_NULL
        and type(snapshot["sdkVersion"]) in _STRING_OR_NULL
        and type(snapshot["appId"]) in _STRING_OR_NULL
    )
    return snapshot, {"input": input_bytes, "output": output_bytes}, profile, simple


def _other_field_errors(args: Mapping[str, Any], now: Clock) -> list[str]:
    """The problems of every field but ``parameters`` (and the hashes, not computed yet),
    so that arguments with bad parameters hear of all their problems at once."""
    stand_in = {"temperature": 0, "maxTokens": 0}
    protocol = args.get("protocolVersion", DEFAULT_PROTOCOL_VERSION)
    placeholder = "sha256:" + "0" * 64
    snapshot = _nexart_snapshot(args, protocol, stand_in, placeholder, placeholder, now)
    return snapshot_errors(snapshot)


def _nexart_snapshot(
    args: Mapping[str, Any],
    protocol: Any,
    parameters: dict[str, Any],
    input_hash: str,
    output_hash: str,
    now: Clock,
) -> dict[str, Any]:
    """NexArt's 16 snapshot fields in ``createSnapshot`` order, defaults applied, and
    ``parameters`` (checked): NexArt's four, then any other the caller gave."""
    get = args.get
    timestamp, sdk_version = get("timestamp"), get("sdkVersion")
    snapshot: dict[str, Any] = {
        "type": SNAPSHOT_TYPE,
        "protocolVersion": protocol,
        "executionSurface": EXECUTION_SURFACE,
        "executionId": get("executionId"),
        "timestamp": timestamp if timestamp is not None else now(),
        "provider": get("provider"),
        "model": get("model"),
        "modelVersion": get("modelVersion"),
        "prompt": get("prompt"),
        "input": get("input"),
        "inputHash": input_hash,
        "parameters": {
            "temperature": parameters["temperature"],
            "maxTokens": parameters["maxTokens"],
            "topP": parameters.get("topP"),
            "seed": parameters.get("seed"),
        },
        "output": get("output"),
        "outputHash": output_hash,
        "sdkVersion": sdk_version if sdk_version is not None else DEFAULT_SDK_VERSION,
        "appId": get("appId"),
    }
    if not _NEXART_PARAMETERS.issuperset(parameters):
        snapshot["parameters"].update(
            (k, v) for k, v in parameters.items() if k not in _NEXART_PARAMETERS
        )
    return snapshot


# createSnapshot arguments that name snapshot fields (the rest are extra fields, kept).
_KNOWN_ARGUMENTS = frozenset(SNAPSHOT_FIELDS)
_NEXART_PARAMETERS = frozenset(PARAMETER_FIELDS)
_PROFILES = PROTOCOL_PROFILES
_STRING_OR_NULL = frozenset((str, type(None)))


def certificate_hash(
    bundle: Mapping[str, Any],
    *,
    profile: Profile | None = None,
    payloads: Mapping[str, bytes | None] | None = None,
) -> HexDigest:
    """Compute the ``certificateHash`` a bundle should carry: SHA-256 of the canonical
    bytes of :func:`cerkit.bundle.certificate_payload` under the snapshot's profile (meta
    is never hashed).

    The keyword arguments let a caller pass on what it has proven; the answer is the same,
    found faster by a private path (``cerkit._certificate_fast``, which :func:`seal_args`
    and the verifier call directly).

    Args:
        bundle: the bundle (its ``certificateHash`` and ``meta`` are ignored).
        profile: the snapshot's canonical profile, when the caller has looked it up.
        payloads: only for a bundle ``schema.bundle_errors`` and ``schema.snapshot_errors``
            accept: for ``input`` and ``output`` (both, or neither for a redacted snapshot)
            the canonical bytes :func:`cerkit.digest.payload_digest` returned (``None`` for
            a string), spliced in rather than serialized again.

    Raises:
        UnsupportedProtocolError, CanonicalizationError: the bundle has no certificate hash.
    """
    if profile is None:
        snapshot: Any = bundle.get("snapshot")
        profile = profile_for(snapshot if isinstance(snapshot, Mapping) else {})
    if payloads is not None:
        digest = checked_certificate_hash(bundle, profile == "jcs-v1", payloads)
        if digest is not None:
            return digest
    return HexDigest(
        PREFIX + _sha256(canonicalize(certificate_payload(bundle), profile)).hexdigest()
    )


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

    Raises:
        SchemaError: ``created_at`` is given and is not a non-empty string.
        UnsupportedProtocolError, CanonicalizationError: the snapshot cannot be hashed.
    """
    bundle = _envelope(snapshot, created_at, now)
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


def _envelope(snapshot: Mapping[str, Any], created_at: str | None, now: Clock) -> dict[str, Any]:
    """The bundle around ``snapshot``, its ``certificateHash`` still to be computed."""
    created = created_at if created_at is not None else now()
    if type(created) is not str or not created:
        raise SchemaError("createdAt must be a non-empty string")
    return {
        "bundleType": BUNDLE_TYPE,
        "certificateHash": "",
        "createdAt": created,
        "version": BUNDLE_VERSION,
        "snapshot": snapshot,
    }


def seal_args(
    args: Mapping[str, Any], *, created_at: str | None = None, now: Clock = iso_now
) -> dict[str, Any]:
    """``create_snapshot`` then ``seal``: one call from arguments to a sealed bundle.

    Equal to ``seal(create_snapshot(args), created_at=created_at)``, but serializes a
    non-string ``input`` or ``output`` once rather than twice, and does not re-check what
    building the snapshot proved.
    """
    snapshot, payloads, profile, simple = _build_snapshot(args, now)
    bundle = _envelope(snapshot, created_at, now)
    # certificate_hash(bundle, profile=profile, payloads=payloads), its private paths called
    # directly: this runs for every record sealed (bench/seal_verify.py). Only here is the
    # bundle known to be unshared, so that a simple snapshot may be hashed in place.
    fast = sealed_certificate_hash if simple else checked_certificate_hash
    digest = fast(bundle, profile == "jcs-v1", payloads)
    bundle["certificateHash"] = digest or certificate_hash(bundle, profile=profile)
    return bundle


__all__ = [
    "SNAPSHOT_FIELDS",
    "certificate_hash",
    "create_snapshot",
    "iso_now",
    "seal",
    "seal_args",
]
