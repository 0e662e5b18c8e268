"""cerkit: Certified Execution Records for AI executions.

Public modules:

* :mod:`cerkit.canonical`: canonical JSON (profiles ``nexart-v1`` and ``jcs-v1``).
* :mod:`cerkit.digest`: ``sha256:<hex>`` digests and the input/output hash rule.
* :mod:`cerkit.bundle`: the ``cer.ai.execution.v1`` format, field names, the hashed
  projection (``certificate_payload``).
* :mod:`cerkit.schema`: the structural rules (``snapshot_errors``, ``bundle_errors``).
* :mod:`cerkit.seal`: ``create_snapshot``, ``seal`` and ``certificate_hash`` (NexArt
  semantics, pure).
* :mod:`cerkit.verify`: layered verification returning a :class:`~cerkit.verify.Report`.
* :mod:`cerkit.errors`: the exception tree and reason codes.
* :mod:`cerkit.jsonio`: reading untrusted JSON with size and depth limits.
* :mod:`cerkit.capture`: the recorder (``cerkit.record``, ``cerkit.recording``), runtime
  fingerprint, value encoding, model identity and the command wrapper.
* :mod:`cerkit.project`: building NexArt project bundles (``cer.project.bundle.v1``) from
  workflow steps (``cerkit.workflow``, :mod:`cerkit.capture.workflow`).
* :mod:`cerkit.execution_key`: the execution key, the digest of what "same inputs" means.
* :mod:`cerkit.ledger`: record, log and token stores (:mod:`cerkit.ledger.factory`): SQLite
  by default, PostgreSQL.
* :mod:`cerkit.drift`: execution keys, record diffs with verdicts and ranked causes
  (``explain``), change points over a ledger, replay.
* :mod:`cerkit.keys`, :mod:`cerkit.keyring`: Ed25519 keys, key ids, key documents with
  lifecycle (ours and NexArt's well-known shape), key directories.
* :mod:`cerkit.signing`: producer signatures (``meta.producer``).
* :mod:`cerkit.attestation`: node receipts and ``meta.attestation``.
* :mod:`cerkit.merkle`, :mod:`cerkit.checkpoint`, :mod:`cerkit.audit`: the transparency
  log (RFC 6962/9162 proofs, C2SP signed checkpoints, offline audit of a whole log).
* :mod:`cerkit.node`: the attestation node (HTTP service, log stores, tokens, ``log audit``)
  and an in-process node.
* :mod:`cerkit.demo`: the parts of ``cerkit demo`` (not a library API).

Modules whose names start with ``_`` are private. Among them are the fast twins of the
format core (``_canonical_fast``, ``_certificate_fast``, ``_schema_fast``): each lives
behind one public function, exists for a measured reason (bench/seal_verify.py) and is
tested to agree with it on every input class.
"""

from __future__ import annotations

from typing import Any

# First: tell cerkit's own imports from the program's (capture/_imports.py).
from cerkit.capture import _imports

_imports.adopt_since("cerkit")

__version__ = "0.1.0"


def record(*args: Any, **kwargs: Any) -> Any:
    """Record calls of a function as sealed CERs: ``@cerkit.record`` or
    ``@cerkit.record(model=..., store=...)``. See :func:`cerkit.capture.recorder.record`."""
    from cerkit.capture.recorder import record as _record

    return _record(*args, **kwargs)


def workflow(name: str, **kwargs: Any) -> Any:
    """A workflow run: ``with cerkit.workflow("name") as wf:`` chains the records made inside
    it into one project bundle (``wf.bundle``). See :func:`cerkit.capture.workflow.workflow`."""
    from cerkit.capture.workflow import workflow as _workflow

    return _workflow(name, **kwargs)


def __getattr__(name: str) -> object:
    # ``cerkit.recording`` is imported on first use, so that ``import cerkit`` stays cheap.
    if name == "recording":
        from cerkit.capture.recorder import recording

        return recording
    raise AttributeError(f"module 'cerkit' has no attribute {name!r}")
