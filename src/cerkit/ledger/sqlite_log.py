"""The transparency log in SQLite: the embedded, single-writer backend.

One file in WAL mode with ``synchronous=FULL``, so a commit is on disk before the node hands
out the receipt. Indices are assigned inside a ``BEGIN IMMEDIATE`` transaction (SQLite's one
writer lock), gap-free, so two processes on the same file still produce one log. The tables
can live in the same file as the record store (:mod:`cerkit.ledger.sqlite`) and the token
store (:mod:`cerkit.ledger.sqlite_tokens`); their names do not collide.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Final

from cerkit.ledger._sql import SQLITE, find_query
from cerkit.ledger._sqlite_files import open_tables, sqlite_errors
from cerkit.ledger.base import Appended, LogEntry, Stamp

_SCHEMA: Final[str] = """
CREATE TABLE IF NOT EXISTS log_entries (
    idx INTEGER PRIMARY KEY,
    certificate_hash TEXT NOT NULL UNIQUE,
    timestamp TEXT NOT NULL,
    kid TEXT NOT NULL,
    signature TEXT NOT NULL,
    bundle BLOB NOT NULL
);
"""
_ENTRY_COLUMNS: Final[str] = "idx, certificate_hash, timestamp, kid, signature"
#: SQLite's default bound on host parameters in one statement is 999 (older builds).
_IN_CHUNK: Final[int] = 500


def _entry(row: tuple[int, str, str, str, str]) -> LogEntry:
    return LogEntry(row[0], row[1], row[2], row[3], row[4])


class SQLiteLogStore:
    """:class:`~cerkit.ledger.base.LogStore` on one SQLite file.

    Writes go through one connection under a lock; reads use one connection per thread, so
    proof and entry reads run beside an append (WAL readers never block the writer).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer, self._readers = open_tables(self.path, _SCHEMA, "log store")
        self._lock = threading.Lock()

    def _reader(self) -> sqlite3.Connection:
        return self._readers.get()

    def _errors(self, what: str) -> AbstractContextManager[None]:
        return sqlite_errors("log store", what)

    def append(self, items: Sequence[tuple[str, bytes]], stamp: Stamp) -> Appended:
        with self._lock, self._errors("append"):
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = self._append_locked(conn, items, stamp)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return result

    def _append_locked(
        self, conn: sqlite3.Connection, items: Sequence[tuple[str, bytes]], stamp: Stamp
    ) -> Appended:
        hashes = list(dict.fromkeys(cert for cert, _ in items))
        known: dict[str, LogEntry] = {}
        for start in range(0, len(hashes), _IN_CHUNK):
            chunk = hashes[start : start + _IN_CHUNK]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE certificate_hash IN ({marks})"
            for row in conn.execute(sql, chunk):
                known[row[1]] = _entry(row)
        (size,) = conn.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries").fetchone()
        rows = []
        entries: list[LogEntry] = []
        created: list[bool] = []
        for cert, bundle in items:
            entry = known.get(cert)
            created.append(entry is None)
            if entry is None:
                entry = stamp(size, cert)
                known[cert] = entry
                size += 1
                rows.append(
                    (entry.index, cert, entry.timestamp, entry.kid, entry.signature, bundle)
                )
            entries.append(entry)
        conn.executemany("INSERT INTO log_entries VALUES (?, ?, ?, ?, ?, ?)", rows)
        return Appended(entries, created, size)

    def size(self) -> int:
        with self._errors("size"):
            row = self._reader().execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries")
            return int(row.fetchone()[0])

    def entry(self, certificate_hash: str) -> LogEntry | None:
        with self._errors("read entry"):
            sql = f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE certificate_hash = ?"
            row = self._reader().execute(sql, (certificate_hash,)).fetchone()
        return None if row is None else _entry(row)

    def bundle(self, certificate_hash: str) -> bytes | None:
        with self._errors("read bundle"):
            sql = "SELECT bundle FROM log_entries WHERE certificate_hash = ?"
            row = self._reader().execute(sql, (certificate_hash,)).fetchone()
        return None if row is None else bytes(row[0])

    def entries(self, start: int, end: int) -> list[LogEntry]:
        with self._errors("read entries"):
            sql = (
                f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE idx >= ? AND idx < ? ORDER BY idx"
            )
            return [_entry(row) for row in self._reader().execute(sql, (start, end))]

    def find(self, prefix: str) -> list[str]:
        sql, params = find_query(SQLITE, prefix, "log_entries")
        with self._errors("find"):
            return [row[0] for row in self._reader().execute(sql, params)]

    def hashes(self, start: int, end: int) -> list[tuple[int, str]]:
        with self._errors("read hashes"):
            sql = (
                "SELECT idx, certificate_hash FROM log_entries"
                " WHERE idx >= ? AND idx < ? ORDER BY idx"
            )
            return [(int(i), c) for i, c in self._reader().execute(sql, (start, end))]

    def ping(self) -> None:
        with self._errors("ping"):
            self._reader().execute("SELECT 1 FROM log_entries LIMIT 1").fetchall()

    def close(self) -> None:
        with self._lock:
            self._writer.close()
            self._readers.close(sqlite3.Connection.close)
