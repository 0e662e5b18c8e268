"""The verdict of a confirmation or bisection as a sealed record (docs/drift.md §5d).

A verdict is a CER like any other: ``cerkit verify`` checks it, ``cerkit sign`` adds a
producer signature, ``cerkit attest`` has a node countersign and log it, so an auditor can
check who confirmed what, and when. Its snapshot:

* ``provider`` ``"cerkit"``, ``model`` and ``prompt`` ``"cerkit.drift.confirm"`` (or
  ``.bisect``), ``execution.kind`` ``"confirmation"``;
* ``input``: both certificate hashes (``a``, ``b``) and the candidates tested (category,
  subject, the setting that flipped it);
* ``output``: the whole :meth:`Confirmation.to_json` (verdict, which record the current
  environment reproduced, every candidate's outcome and reason, every re-run with its
  setting and its replay record's certificate hash, the number of re-runs);
* ``environment``: the runtime fingerprint of the machine that re-ran them.

Sealing is pure (the environment and the time are passed in); the hooks are the same
:func:`cerkit.capture.trust_hooks.trust_hooks` the recorder uses for ``sign=``/``attest=``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Final

from cerkit.capture.builder import Hook
from cerkit.drift.confirm import Confirmation
from cerkit.seal import seal_args

VERDICT_KIND: Final[str] = "confirmation"


def verdict_args(
    result: Confirmation, *, environment: Mapping[str, Any] | None, at: str
) -> dict[str, Any]:
    """The ``createSnapshot`` arguments of a verdict (see the module docstring)."""
    name = f"cerkit.drift.{result.mode}"
    body = result.to_json()
    candidates = [{k: c[k] for k in ("category", "subject", "setting")} for c in body["candidates"]]
    args: dict[str, Any] = {
        "executionId": os.urandom(16).hex(),
        "timestamp": at,
        "provider": "cerkit",
        "model": name,
        "prompt": name,
        "input": {"a": result.a, "b": result.b, "candidates": candidates},
        "output": body,
        "parameters": {"temperature": 0, "maxTokens": 0, "topP": None, "seed": None},
        "execution": {
            "kind": VERDICT_KIND,
            "entryPoint": name,
            "status": "ok",
            "replays": [t.certificate_hash for t in result.trials],
        },
    }
    if environment is not None:
        args["environment"] = dict(environment)
    return args


def seal_verdict(
    result: Confirmation,
    *,
    environment: Mapping[str, Any] | None,
    at: str,
    hooks: Sequence[Hook] = (),
) -> dict[str, Any]:
    """Seal ``result`` as a verdict record and pass it through ``hooks`` (sign, attest).

    >>> from cerkit.drift.confirm import Confirmation
    >>> r = Confirmation("confirm", "sha256:aa", "sha256:bb", None, (), (), 0.0)
    >>> v = seal_verdict(r, environment=None, at="2026-01-01T00:00:00.000Z")
    >>> v["snapshot"]["output"]["verdict"], v["snapshot"]["execution"]["kind"]
    ('NOT_REPRODUCED', 'confirmation')
    """
    bundle = seal_args(verdict_args(result, environment=environment, at=at), created_at=at)
    for hook in hooks:
        bundle = hook(bundle) or bundle
    return bundle


def is_verdict(bundle: Mapping[str, Any]) -> bool:
    snapshot = bundle.get("snapshot")
    execution = snapshot.get("execution") if isinstance(snapshot, Mapping) else None
    return isinstance(execution, Mapping) and execution.get("kind") == VERDICT_KIND


__all__ = ["VERDICT_KIND", "is_verdict", "seal_verdict", "verdict_args"]
