"""Group commit for queued records: a bounded batch written in one transaction.

Used by :meth:`cerkit.ledger.sqlite.SQLiteRecordStore.put_later`. A submitted record joins the
pending batch and the call returns. The batch is written, as one transaction, by whichever
comes first: the submitter whose record fills it (:data:`MAX_BATCH`), a background flusher
that wakes every :data:`LINGER_SECONDS`, an explicit :meth:`Writer.drain` (``flush``,
``close`` and reads on the store), or interpreter exit.

Why not a writer thread that does every write: Python lets one thread run at a time, and a
thread that gives up the interpreter lock around each SQLite call waits up to the switch
interval to get it back while the recording thread is busy, so a busy program would starve
it. Writing full batches on the submitting thread costs one transaction per
:data:`MAX_BATCH` records; the flusher only catches the tail when the program goes quiet.
"""

from __future__ import annotations

import atexit
import os
import threading
import warnings
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Final

#: Records written per transaction; also the most records held in memory, hence the most a
#: hard kill (SIGKILL) can lose.
MAX_BATCH: Final[int] = 256
#: How old the pending batch may get before the background flusher writes it.
LINGER_SECONDS: Final[float] = 0.05

_writers: weakref.WeakSet[Writer] = weakref.WeakSet()


class Writer:
    """Batches records for ``write(batch)`` and writes each batch in submission order."""

    def __init__(self, write: Callable[[list[Mapping[str, Any]]], None], *, name: str) -> None:
        self._write = write
        self._pending: list[Mapping[str, Any]] = []
        self._pending_lock = threading.Lock()
        self._write_lock = threading.Lock()  # one batch at a time, in order
        self._pid = os.getpid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._flush_periodically, name=name, daemon=True)
        self._thread.start()
        _writers.add(self)

    def submit(self, item: Mapping[str, Any]) -> None:
        with self._pending_lock:
            self._pending.append(item)
            full = len(self._pending) >= MAX_BATCH
        if full:
            self.drain()

    def drain(self) -> None:
        """Write everything submitted so far (in a forked child: nothing, the parent will)."""
        if os.getpid() != self._pid:
            return
        with self._write_lock:
            with self._pending_lock:
                batch, self._pending = self._pending, []
            if batch:
                self._write_all(batch)

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()
        self.drain()

    def _flush_periodically(self) -> None:
        while not self._stop.wait(LINGER_SECONDS):
            if self._pending:
                self.drain()

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
