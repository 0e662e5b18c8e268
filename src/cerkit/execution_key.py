"""The execution key: the digest of what "same inputs" means (docs/drift.md §1).

Two records with the same key asked for the same thing: the same entry point (or, for a
model call with no Python entry point, the same requested model), the same input, the same
prompt and the same parameters *as passed by the caller*. When their outputs differ anyway,
something else changed (or the execution is nondeterministic): that is drift.

The key is ``sha256:<hex>`` over the ``nexart-v1`` canonical JSON of this object::

    {
      "v": "cerkit.execution-key.v1",
      "entryPoint": snapshot.execution.entryPoint   (a non-empty string, else null),
      "requestedModel": null when entryPoint is set, else
                        snapshot.modelIdentity.requestedModel, else snapshot.model, else null,
      "inputHash": snapshot.inputHash,
      "prompt": snapshot.prompt,
      "parameters": snapshot.parameters              (as passed, never effectiveParameters)
    }

A field that is absent is written as ``null``. Nothing volatile (timestamps, ids, the runtime
fingerprint, effective parameters, model identity beyond the requested model) enters the key:
those are exactly the factors drift attribution compares.

A **replay** (a re-run of a record by ``cerkit replay`` or a confirmation, marked
``meta.replay = {of, purpose, setting}``) has the key of what it re-ran but is not a new
execution: :func:`replay_of` tells it apart, and the drift timeline leaves it out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final

from cerkit.canonical import canonicalize
from cerkit.digest import PREFIX, HexDigest

KEY_VERSION: Final[str] = "cerkit.execution-key.v1"


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def key_material(bundle: Mapping[str, Any]) -> dict[str, Any]:
    """The object whose canonical JSON the execution key digests (see the module docstring).

    Args:
        bundle: a CER bundle (a sealed record as a dict).

    Returns:
        The key material, a JSON object.
    """
    snapshot = _mapping(bundle.get("snapshot"))
    entry_point = _mapping(snapshot.get("execution")).get("entryPoint")
    if not isinstance(entry_point, str) or not entry_point:
        entry_point = None
    requested = None
    if entry_point is None:
        requested = _mapping(snapshot.get("modelIdentity")).get("requestedModel")
        if requested is None:
            requested = snapshot.get("model")
    return {
        "v": KEY_VERSION,
        "entryPoint": entry_point,
        "requestedModel": requested,
        "inputHash": snapshot.get("inputHash"),
        "prompt": snapshot.get("prompt"),
        "parameters": snapshot.get("parameters"),
    }


def execution_key(bundle: Mapping[str, Any]) -> HexDigest:
    """The execution key of a record: ``sha256:<hex>`` of its canonical key material.

    Args:
        bundle: a CER bundle.

    Returns:
        The key, for example ``"sha256:9f2c..."``.

    Raises:
        CanonicalizationError: the record holds a value with no canonical JSON form.

    >>> a = {"snapshot": {"execution": {"entryPoint": "m:f"}, "inputHash": "sha256:00",
    ...      "prompt": "m:f", "parameters": {"temperature": 0}}}
    >>> execution_key(a) == execution_key({**a, "createdAt": "later"})
    True
    """
    return HexDigest(PREFIX + hashlib.sha256(canonicalize(key_material(bundle))).hexdigest())


def replay_of(bundle: Mapping[str, Any]) -> str | None:
    """The certificate hash a replay re-ran (``meta.replay.of``; ``""`` when it names none),
    or None for a record that is not a replay.

    >>> replay_of({"meta": {"replay": {"of": "sha256:ab", "purpose": "replay"}}})
    'sha256:ab'
    >>> replay_of({"meta": {}}) is None
    True
    """
    replay = _mapping(bundle.get("meta")).get("replay")
    if not isinstance(replay, Mapping):
        return None
    of = replay.get("of")
    return of if isinstance(of, str) else ""


__all__ = ["KEY_VERSION", "execution_key", "key_material", "replay_of"]
