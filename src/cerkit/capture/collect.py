"""Seeing every record this process seals: ``with collecting() as records:``.

Every record, whoever made it (the recorder, the command wrapper, an integration's
background sealer, a workflow step), is sealed by :func:`cerkit.capture.builder.seal_record`,
which hands it to each open collection after its post-seal hooks ran, whatever store or hooks
the recording code chose. The pytest plugin (:mod:`cerkit.pytest_plugin`) collects the calls a
test makes this way.

>>> from cerkit.capture.recorder import record
>>> double = record(lambda x: 2 * x, name="demo:double", store=False)
>>> with collecting() as records:
...     _ = double(4)
>>> [r["snapshot"]["output"] for r in records]
[8]
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

_LOCK: Final = threading.Lock()
#: The open collections. Sealing reads it without the lock first: an empty tuple is the
#: common case and costs one attribute read per record.
_open: tuple[list[dict[str, Any]], ...] = ()


@contextmanager
def collecting() -> Iterator[list[dict[str, Any]]]:
    """Collect every record sealed in this process (any thread) until the block ends; the
    list yielded fills in sealing order.

    Records sealed off the caller's thread (an integration seals on a background thread)
    arrive when they are sealed: call :func:`cerkit.integrations.flush` before the block
    ends to wait for them.
    """
    global _open
    found: list[dict[str, Any]] = []
    with _LOCK:
        _open = (*_open, found)
    try:
        yield found
    finally:
        with _LOCK:
            _open = tuple(c for c in _open if c is not found)  # by identity: lists compare equal


def notify(bundle: dict[str, Any]) -> None:
    """Hand a sealed record to every open collection (called by ``seal_record``)."""
    collections = _open
    if not collections:
        return
    with _LOCK:
        for collection in collections:
            collection.append(bundle)


__all__ = ["collecting", "notify"]
