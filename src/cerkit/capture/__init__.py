"""Capture: recording what actually ran (docs/capture.md).

Public modules:

* :mod:`cerkit.capture.recorder`: ``record`` (decorator) and ``recording`` (context
  manager) for Python calls and blocks; ``configure`` sets the store, content policy and
  post-seal hooks. Also available as ``cerkit.record`` and ``cerkit.recording``.
* :mod:`cerkit.capture.command`: ``run_command``, behind ``cerkit record -- CMD ARGS``.
* :mod:`cerkit.capture.fingerprint`: the runtime fingerprint (``environment`` field).
* :mod:`cerkit.capture.encode`: the deterministic JSON encoding of values, and ``decode``
  (library values and model identities come from :mod:`cerkit.integrations`).
* :mod:`cerkit.capture.secrets`: the secret filter every recorded value passes through.

Internal: ``builder`` (record assembly), ``_probes``/``_numeric`` (fingerprint readers),
``_seeds`` (seed tracking). Re-running a recorded call is :mod:`cerkit.drift.rerun`.
"""

from __future__ import annotations


def flush() -> None:
    """Write every record still queued for the stores the recorder opened (a durability
    point; it also happens at interpreter exit)."""
    from cerkit.ledger import flush_shared_stores

    flush_shared_stores()
