"""The CER bundle format ``cer.ai.execution.v1``: names, fields and the hashed projection.

A record *is* its JSON: cerkit keeps the parsed dict as it came and reads typed views from
it, so unknown fields survive every round trip (docs/spec.md §2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cerkit.canonical import Profile
from cerkit.errors import UnsupportedProtocolError

BUNDLE_TYPE: Final[str] = "cer.ai.execution.v1"
BUNDLE_VERSION: Final[str] = "0.1"
SNAPSHOT_TYPE: Final[str] = "ai.execution.v1"
EXECUTION_SURFACE: Final[str] = "ai"
DEFAULT_PROTOCOL_VERSION: Final[str] = "1.2.0"
#: The SDK version NexArt's ``createSnapshot`` writes when the caller gives none.
DEFAULT_SDK_VERSION: Final[str] = "0.1.0"

#: Protocol version -> canonicalization profile. Anything else fails closed.
PROTOCOL_PROFILES: Final[Mapping[str, Profile]] = {
    "1.2.0": "nexart-v1",
    "1.3.0": "jcs-v1",
    "1.3.1": "jcs-v1",
}

#: Bundle fields covered by the certificate hash when present.
OPTIONAL_HASHED_FIELDS: Final[tuple[str, ...]] = ("context", "contextSummary", "policyEvaluation")

#: NexArt's 16 snapshot fields, in the order ``createSnapshot`` writes them.
SNAPSHOT_FIELDS: Final[tuple[str, ...]] = (
    "type",
    "protocolVersion",
    "executionSurface",
    "executionId",
    "timestamp",
    "provider",
    "model",
    "modelVersion",
    "prompt",
    "input",
    "inputHash",
    "parameters",
    "output",
    "outputHash",
    "sdkVersion",
    "appId",
)
#: The parameter keys NexArt always writes (``topP`` and ``seed`` default to null).
PARAMETER_FIELDS: Final[tuple[str, ...]] = ("temperature", "maxTokens", "topP", "seed")


def profile_for(snapshot: Mapping[str, Any]) -> Profile:
    """The canonicalization profile a snapshot's ``protocolVersion`` demands.

    Raises:
        UnsupportedProtocolError: the version is missing or not one cerkit implements.
    """
    version = snapshot.get("protocolVersion", DEFAULT_PROTOCOL_VERSION)
    try:
        return PROTOCOL_PROFILES[version]
    except (KeyError, TypeError):
        raise UnsupportedProtocolError(
            f"protocolVersion {version!r} is not supported "
            f"(supported: {', '.join(PROTOCOL_PROFILES)})"
        ) from None


def certificate_payload(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """The projection of a bundle that ``certificateHash`` covers."""
    payload = {
        "bundleType": bundle.get("bundleType"),
        "createdAt": bundle.get("createdAt"),
        "snapshot": bundle.get("snapshot"),
        "version": bundle.get("version"),
    }
    for name in OPTIONAL_HASHED_FIELDS:
        if name in bundle:
            payload[name] = bundle[name]
    return payload
