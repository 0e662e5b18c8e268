"""Streaming the drift pass's compact rows out of a SQLite record store.

:meth:`~cerkit.ledger.sqlite.SQLiteRecordStore.index_rows` reads the covering index
``records_drift`` on a read-only connection of its own, in batches, memory-mapped: no record
is read or parsed, and writers on the store are not held up.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from cerkit.errors import OperationalError, Reason
from cerkit.ledger.base import IndexRow

#: Rows fetched per step: enough to amortize the calls, few enough to keep memory flat.
_STREAM_BATCH: Final[int] = 4096
#: Memory-mapped reads (SQLite caps this at 2 GiB): the kernel reads ahead around each page
#: fault, where ``read()`` fetches one page at a time. The index of a store filled over time
#: is scattered through the file; reading that of a 1,000,000-record store from disk took
#: 6.1 s with ``read()`` and 3.3 s mapped (``bench/drift.py --cold``); from the page cache
#: both take 0.7 s. Read-only connection. The mapped pages count in the process's RSS
#: (2.3 GB for ``cerkit drift`` over that store, against 0.7 GB with ``read()``), but they
#: are the page cache's clean pages, which the kernel reclaims as with any read.
MMAP_BYTES: Final[int] = 1 << 31


def stream_index_rows(
    path: Path,
    sql: str,
    params: Sequence[Any],
    compute: Callable[[str], IndexRow | None],
) -> Iterator[IndexRow]:
    """The rows ``sql`` selects from the store at ``path``.

    A row whose compact columns are unknown (``NULL``: written by an older cerkit after the
    migration) is replaced by ``compute(certificate_hash)``, left out when that is None.

    Raises:
        OperationalError: the store cannot be read (``STORE_ERROR``).
    """
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    except sqlite3.Error as exc:
        raise OperationalError(f"cannot read {path}: {exc}", Reason.STORE_ERROR) from None
    try:
        cursor = db.execute(sql, tuple(params))
        while batch := cursor.fetchmany(_STREAM_BATCH):
            for row in batch:
                if row[1] is not None and row[3] is not None:
                    yield row
                elif (computed := compute(row[0])) is not None:
                    yield computed
    except sqlite3.Error as exc:
        raise OperationalError(f"cannot read {path}: {exc}", Reason.STORE_ERROR) from None
    finally:
        db.close()
