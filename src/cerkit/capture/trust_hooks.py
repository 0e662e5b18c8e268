"""Post-seal hooks that sign and attest recorded executions (``sign=`` and ``attest=``).

The recorder seals first; these hooks then add ``meta.producer`` (the producer's Ed25519
signature) and ``meta.attestation`` (a node's receipt, inclusion proof and checkpoint).
Neither changes the certificateHash, so a record that could not be attested is still a
valid sealed record: the recorder keeps it and warns.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cerkit.capture.builder import Hook
from cerkit.errors import UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

#: Environment variable holding the bearer token for ``attest="https://node..."``.
TOKEN_ENV = "CERKIT_NODE_TOKEN"


class Attester(Protocol):
    """Anything that attests a bundle: ``NodeClient`` (HTTP) or ``EmbeddedNode``."""

    def attest(self, bundle: Mapping[str, Any]) -> dict[str, Any]: ...


def signing_hook(key: Ed25519PrivateKey | str | Path) -> Hook:
    """A hook adding ``meta.producer``, signed with ``key`` (a key or a 0600 key file)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cerkit.keys import load_private_key
    from cerkit.signing import sign_bundle

    private_key = key if isinstance(key, Ed25519PrivateKey) else load_private_key(key)

    def sign(bundle: dict[str, Any]) -> dict[str, Any]:
        return sign_bundle(bundle, private_key)

    return sign


def attestation_hook(node: Attester | str) -> Hook:
    """A hook adding ``meta.attestation`` from ``node``: an attester object, or a node URL
    (the token is read from ``CERKIT_NODE_TOKEN``)."""
    attester: Attester
    if isinstance(node, str):
        from cerkit.node.client import NodeClient

        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise UsageError(f"attest={node!r} needs a bearer token in {TOKEN_ENV}")
        attester = NodeClient(node, token)
    else:
        attester = node
    from cerkit.attestation import attach_attestation  # needs cryptography: only when attesting

    def attest(bundle: dict[str, Any]) -> dict[str, Any]:
        answer = attester.attest(bundle)
        if "snapshot" in answer:  # the attester returned the attested bundle itself
            return answer
        return attach_attestation(bundle, answer["attestation"])

    return attest


def trust_hooks(sign: Any = None, attest: Any = None) -> tuple[Hook, ...]:
    """The hooks for a recorder's ``sign=`` and ``attest=`` options, signing first (the
    node then countersigns a record that already names its producer)."""
    hooks: list[Hook] = []
    if sign is not None:
        hooks.append(signing_hook(sign))
    if attest is not None:
        hooks.append(attestation_hook(attest))
    return tuple(hooks)
