"""The transparency log and node tokens in SQLite: the embedded, single-writer backend.

One file in WAL mode with ``synchronous=FULL``, so a commit is on disk before the node hands
out the receipt. Indices are assigned inside a ``BEGIN IMMEDIATE`` transaction (SQLite's one
writer lock), gap-free, so two processes on the same file still produce one log. The tables
can live in the same file as the record store (:mod:`cerkit.ledger.sqlite`); their names do
not collide.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from cerkit.errors import OperationalError, Reason
from cerkit.ledger.base import Appended, LogEntry, Stamp, Token

_SCHEMA: Final[str] = """
CREATE TABLE IF NOT EXISTS log_entries (
    idx INTEGER PRIMARY KEY,
    certificate_hash TEXT NOT NULL UNIQUE,
    timestamp TEXT NOT NULL,
    kid TEXT NOT NULL,
    signature TEXT NOT NULL,
    bundle BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS node_tokens (
    token_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""
_ENTRY_COLUMNS: Final[str] = "idx, certificate_hash, timestamp, kid, signature"
#: SQLite's default bound on host parameters in one statement is 999 (older builds).
_IN_CHUNK: Final[int] = 500


def _entry(row: tuple[int, str, str, str, str]) -> LogEntry:
    return LogEntry(row[0], row[1], row[2], row[3], row[4])


class SqliteLogStore:
    """:class:`~cerkit.ledger.base.LogStore` on one SQLite file.

    Writes go through one connection under a lock; reads use one connection per thread, so
    proof and entry reads run beside an append (WAL readers never block the writer).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = self._connect()
            self._writer.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            msg = f"cannot open log store {path}: {exc}"
            raise OperationalError(msg, Reason.STORE_ERROR) from None
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, timeout=30.0, isolation_level=None, check_same_thread=False
        )
        conn.execute("PRAGMA journal_mode=WAL")
        # FULL: the WAL is fsynced at every commit, so an acknowledged receipt survives a
        # crash or power loss, not only a killed process (SQLite docs, PRAGMA synchronous).
        conn.execute("PRAGMA synchronous=FULL")
        return conn

    def _reader(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise OperationalError(f"log store: {what}: {exc}", Reason.STORE_ERROR) from None

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

    def add_token(self, token: Token, token_hash: str) -> None:
        with self._lock, self._errors("add token"):
            self._writer.execute(
                "INSERT INTO node_tokens VALUES (?, ?, ?, ?, ?)",
                (token.token_id, token_hash, token.name, token.created_at, token.revoked_at),
            )

    def tokens(self) -> list[Token]:
        with self._errors("list tokens"):
            sql = (
                "SELECT token_id, name, created_at, revoked_at FROM node_tokens ORDER BY created_at"
            )
            return [Token(*row) for row in self._reader().execute(sql)]

    def revoke_token(self, token_id: str, revoked_at: str) -> bool:
        with self._lock, self._errors("revoke token"):
            cursor = self._writer.execute(
                "UPDATE node_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (revoked_at, token_id),
            )
            return cursor.rowcount > 0

    def token_for_hash(self, token_hash: str) -> Token | None:
        with self._errors("read token"):
            sql = (
                "SELECT token_id, name, created_at, revoked_at FROM node_tokens"
                " WHERE token_hash = ?"
            )
            row = self._reader().execute(sql, (token_hash,)).fetchone()
        return None if row is None else Token(*row)

    def close(self) -> None:
        with self._lock:
            for conn in [self._writer, *self._readers]:
                conn.close()
            self._readers.clear()
