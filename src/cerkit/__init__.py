"""cerkit: Certified Execution Records for AI executions.

Public modules:

* :mod:`cerkit.canonical`: canonical JSON (profiles ``nexart-v1`` and ``jcs-v1``).
* :mod:`cerkit.digest`: ``sha256:<hex>`` digests and the input/output hash rule.
* :mod:`cerkit.record`: the ``cer.ai.execution.v1`` format, field names, a typed view.
* :mod:`cerkit.seal`: ``create_snapshot`` and ``seal`` (NexArt semantics, pure).
* :mod:`cerkit.verify`: layered verification returning a :class:`~cerkit.verify.Report`.
* :mod:`cerkit.errors`: the exception tree and reason codes.
* :mod:`cerkit.jsonio`: reading untrusted JSON with size and depth limits.
"""

from __future__ import annotations

__version__ = "0.1.0"
