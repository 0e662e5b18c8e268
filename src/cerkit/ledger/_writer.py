"""A background writer: a bounded queue drained by one thread in batches.

Used by :meth:`cerkit.ledger.sqlite.SQLiteStore.put_later`, so a recorded call hands its
record over and returns while the write happens on another core (SQLite releases the GIL
while it works). Every writer is drained at interpreter exit.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
import warnings
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Final

#: Records waiting to be written before :meth:`Writer.submit` blocks (back-pressure): at a
#: few kilobytes a record this bounds the memory held and the records a hard kill can lose.
MAX_QUEUED: Final[int] = 4096
#: Records written per transaction at most.
MAX_BATCH: Final[int] = 512
#: How long the writer lets records gather before a transaction (group commit): every
#: commit rewrites the touched index pages, so one commit per record costs several times
#: more than one commit per batch. Bounded, so records still land within milliseconds.
LINGER_SECONDS: Final[float] = 0.002

_writers: weakref.WeakSet[Writer] = weakref.WeakSet()
_STOP: Final[object] = object()


class Writer:
    """One thread applying ``write(batch)`` to queued items, in submission order."""

    def __init__(self, write: Callable[[list[Mapping[str, Any]]], None], *, name: str) -> None:
        self._write = write
        self._pid = os.getpid()
        self._queue: queue.Queue[Any] = queue.Queue(MAX_QUEUED)
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        _writers.add(self)

    def submit(self, item: Mapping[str, Any]) -> None:
        self._queue.put(item)

    def drain(self) -> None:
        """Wait until every item submitted so far is written (or failed and was reported)."""
        # In a forked child the thread is gone; what it had queued is the parent's to write.
        if threading.current_thread() is not self._thread and os.getpid() == self._pid:
            self._queue.join()

    def stop(self) -> None:
        self.drain()
        self._queue.put(_STOP)
        self._thread.join()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            if batch[0] is not _STOP and self._queue.qsize() < MAX_BATCH:
                time.sleep(LINGER_SECONDS)
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stop = any(item is _STOP for item in batch)
            items = [item for item in batch if item is not _STOP]
            try:
                if items:
                    self._write_all(items)
            finally:
                for _ in batch:
                    self._queue.task_done()
            if stop:
                return

    def _write_all(self, items: list[Mapping[str, Any]]) -> None:
        try:
            self._write(items)
        except Exception:
            # One bad record must not take the batch down: retry one by one, report each.
            for item in items:
                try:
                    self._write([item])
                except Exception as exc:
                    warnings.warn(
                        f"cerkit could not store a record: {exc}", RuntimeWarning, stacklevel=1
                    )


@atexit.register
def _drain_all() -> None:
    for writer in list(_writers):
        writer.drain()
