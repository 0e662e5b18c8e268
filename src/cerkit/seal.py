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
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from cerkit.bundle import (
    BUNDLE_TYPE,
    BUNDLE_VERSION,
    DEFAULT_PROTOCOL_VERSION,
    DEFAULT_SDK_VERSION,
    EXECUTION_SURFACE,
    OPTIONAL_HASHED_FIELDS,
    PARAMETER_FIELDS,
    PROTOCOL_PROFILES,
    SNAPSHOT_FIELDS,
    SNAPSHOT_TYPE,
    profile_for,
)
from cerkit.canonical import (
    FastPathUnavailable,
    Profile,
    canonicalize,
    dumps_prepared,
    prepare_fast,
    prepared_fragment,
)
from cerkit.digest import PREFIX, HexDigest, payload_digest
from cerkit.errors import SchemaError
from cerkit.schema import parameter_errors, parameters_are_valid, snapshot_errors

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
    """The snapshot, the canonical bytes of its input and output (see
    :func:`validated_certificate_hash`), its canonical profile, and whether it is simple:
    no extra fields, and ``modelVersion``, ``sdkVersion`` and ``appId`` strings or null."""
    if type(args) is not dict and not isinstance(args, Mapping):
        raise SchemaError("createSnapshot arguments must be a JSON object")
    get = args.get
    parameters: Any = get("parameters")
    if not parameters_are_valid(parameters):
        errors = parameter_errors(parameters)
        if errors:
            raise SchemaError("; ".join(errors))
    protocol = get("protocolVersion", DEFAULT_PROTOCOL_VERSION)
    profile = _PROFILES.get(protocol) if type(protocol) is str else None
    if profile is None:
        profile = profile_for({"protocolVersion": protocol})  # raises the documented error
    payload_in, payload_out = get("input"), get("output")
    input_hash, input_bytes = payload_digest(payload_in, profile)
    output_hash, output_bytes = payload_digest(payload_out, profile)
    execution_id, timestamp, provider, model, prompt = (
        get("executionId"),
        get("timestamp"),
        get("provider"),
        get("model"),
        get("prompt"),
    )
    if timestamp is None:
        timestamp = now()
    model_version, sdk_version, app_id = get("modelVersion"), get("sdkVersion"), get("appId")
    snapshot: dict[str, Any] = {
        "type": SNAPSHOT_TYPE,
        "protocolVersion": protocol,
        "executionSurface": EXECUTION_SURFACE,
        "executionId": execution_id,
        "timestamp": timestamp,
        "provider": provider,
        "model": model,
        "modelVersion": model_version,
        "prompt": prompt,
        "input": payload_in,
        "inputHash": input_hash,
        "parameters": {
            "temperature": parameters["temperature"],
            "maxTokens": parameters["maxTokens"],
            "topP": parameters.get("topP"),
            "seed": parameters.get("seed"),
        },
        "output": payload_out,
        "outputHash": output_hash,
        "sdkVersion": sdk_version if sdk_version is not None else DEFAULT_SDK_VERSION,
        "appId": app_id,
    }
    if not _NEXART_PARAMETERS.issuperset(parameters):
        snapshot["parameters"].update(
            (k, v) for k, v in parameters.items() if k not in _NEXART_PARAMETERS
        )
    extras = not _KNOWN_ARGUMENTS.issuperset(args)
    if extras:
        snapshot.update((k, v) for k, v in args.items() if k not in _KNOWN_ARGUMENTS)
    # The caller-given part of schema.snapshot_is_valid (sealing computed the rest); when
    # it says no, the authoritative snapshot_errors decides and explains.
    if not (
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
        and payload_in is not None
        and payload_out is not None
    ):
        errors = snapshot_errors(snapshot)
        if errors:
            raise SchemaError("; ".join(errors))
    simple = (
        not extras
        and (model_version is None or type(model_version) is str)
        and (sdk_version is None or type(sdk_version) is str)
        and (app_id is None or type(app_id) is str)
    )
    return snapshot, {"input": input_bytes, "output": output_bytes}, profile, simple


# createSnapshot arguments that name snapshot fields (the rest are extra fields, kept).
_KNOWN_ARGUMENTS = frozenset(SNAPSHOT_FIELDS)
_NEXART_PARAMETERS = frozenset(PARAMETER_FIELDS)
_PROFILES = PROTOCOL_PROFILES


def certificate_hash(bundle: Mapping[str, Any]) -> HexDigest:
    """Compute the ``certificateHash`` a bundle should carry (meta is never hashed)."""
    snapshot: Any = bundle.get("snapshot")
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
    return HexDigest(PREFIX + _sha256(canonicalize(payload, profile)).hexdigest())


# Snapshot fields that the schema checks prove to be strings (prompt too, unless redacted),
# and the NexArt fields that may hold anything.
_NEXART_FIELDS = frozenset(SNAPSHOT_FIELDS)
_MAYBE_ANY = ("modelVersion", "parameters", "sdkVersion", "appId")
_MAYBE_ANY_REDACTED = (*_MAYBE_ANY, "prompt")
_OPTIONAL_HASHED = frozenset(OPTIONAL_HASHED_FIELDS)


def validated_certificate_hash(
    bundle: Mapping[str, Any], profile: Profile, payloads: Mapping[str, bytes | None]
) -> HexDigest:
    """:func:`certificate_hash`, faster, for a bundle that passed the schema checks.

    Args:
        bundle: a bundle for which ``schema.bundle_errors`` and ``schema.snapshot_errors``
            found nothing (so most snapshot fields are known to be strings).
        profile: the snapshot's canonical profile.
        payloads: for ``input`` and ``output`` (both, or neither for a redacted snapshot),
            the canonical bytes :func:`cerkit.digest.payload_digest` returned (``None`` for
            a string): spliced in rather than serialized again.

    Only the fields the checks did not type (``modelVersion``, ``parameters``,
    ``sdkVersion``, ``appId``, a redacted ``prompt``, extra fields and the optional hashed
    bundle fields) are walked. What the fast path cannot serialize exactly falls back to
    :func:`certificate_hash`.
    """
    snapshot: Any = bundle["snapshot"]
    view = dict(snapshot)
    for name, data in payloads.items():
        if data is not None:
            view[name] = prepared_fragment(data)
    try:
        for name in _MAYBE_ANY if payloads else _MAYBE_ANY_REDACTED:
            value = view.get(name)
            if type(value) is not str and value is not None:  # absent or null: as it is
                view[name] = prepare_fast(value, profile, depth=2)
        if not _NEXART_FIELDS.issuperset(view):
            for name in view.keys() - _NEXART_FIELDS:
                if not str.isascii(name) and max(name) >= "\ue000":
                    raise FastPathUnavailable  # UTF-16 key order differs (canonical.py)
                view[name] = prepare_fast(view[name], profile, depth=2)
        payload = {
            "bundleType": BUNDLE_TYPE,
            "createdAt": bundle["createdAt"],
            "snapshot": view,
            "version": BUNDLE_VERSION,
        }
        if not _OPTIONAL_HASHED.isdisjoint(bundle):
            for name in OPTIONAL_HASHED_FIELDS:
                if name in bundle:
                    payload[name] = prepare_fast(bundle[name], profile, depth=1)
        data = dumps_prepared(payload)
    except (FastPathUnavailable, TypeError):  # TypeError: a non-string key
        data = None
    if data is None:
        return certificate_hash(bundle)
    return HexDigest(PREFIX + _sha256(data).hexdigest())


def _simple_certificate_hash(
    bundle: dict[str, Any], profile: Profile, payloads: Mapping[str, bytes | None]
) -> HexDigest:
    """:func:`validated_certificate_hash` of a bundle :func:`seal_args` is building, whose
    snapshot is simple (see :func:`_build_snapshot`): every field but input, output and
    parameters is a string or null, so only those three need their prepared forms. The
    snapshot has not been handed to anyone yet, so rather than copy it, it is serialized
    with the three swapped in, and they are put back."""
    snapshot = bundle["snapshot"]
    originals = snapshot["input"], snapshot["output"], snapshot["parameters"]
    input_bytes, output_bytes = payloads["input"], payloads["output"]
    try:
        if input_bytes is not None:
            snapshot["input"] = prepared_fragment(input_bytes)
        if output_bytes is not None:
            snapshot["output"] = prepared_fragment(output_bytes)
        snapshot["parameters"] = prepare_fast(originals[2], profile, depth=2)
        data = dumps_prepared(
            {
                "bundleType": BUNDLE_TYPE,
                "createdAt": bundle["createdAt"],
                "snapshot": snapshot,
                "version": BUNDLE_VERSION,
            }
        )
    except FastPathUnavailable:
        data = None
    finally:
        snapshot["input"], snapshot["output"], snapshot["parameters"] = originals
    if data is None:
        return certificate_hash(bundle)
    return HexDigest(PREFIX + _sha256(data).hexdigest())


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
    if simple:
        bundle["certificateHash"] = _simple_certificate_hash(bundle, profile, payloads)
    else:
        bundle["certificateHash"] = validated_certificate_hash(bundle, profile, payloads)
    return bundle


__all__ = [
    "SNAPSHOT_FIELDS",
    "certificate_hash",
    "create_snapshot",
    "iso_now",
    "seal",
    "seal_args",
]
