"""The transparency log in PostgreSQL: the scale-out backend.

Several stateless node replicas share one database. The log is sequenced in the database:
every append locks the single ``log_head`` row (``SELECT ... FOR UPDATE``), reads the size,
assigns the next indices and raises the size in the same transaction, so indices are
gap-free and in commit order whichever replica appends. PostgreSQL's default
``synchronous_commit = on`` makes a commit durable before the receipt is handed out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from cerkit.ledger._postgres import Connections
from cerkit.ledger._sql import POSTGRES, find_query
from cerkit.ledger.base import Appended, LogEntry, Stamp

if TYPE_CHECKING:
    import psycopg

_SCHEMA: Final[tuple[str, ...]] = (
    """CREATE TABLE IF NOT EXISTS log_entries (
        idx BIGINT PRIMARY KEY,
        certificate_hash TEXT NOT NULL UNIQUE,
        timestamp TEXT NOT NULL,
        kid TEXT NOT NULL,
        signature TEXT NOT NULL,
        bundle BYTEA NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS log_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size BIGINT NOT NULL)""",
    "INSERT INTO log_head VALUES (1, 0) ON CONFLICT (id) DO NOTHING",
)
#: Replicas starting together must not race on CREATE TABLE; any fixed key works.
_SCHEMA_LOCK: Final[int] = 0x6365726B
_ENTRY_COLUMNS: Final[str] = "idx, certificate_hash, timestamp, kid, signature"
_INSERT: Final[str] = (
    "INSERT INTO log_entries SELECT * FROM unnest("
    "%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bytea[])"
)


def _entry(row: tuple[Any, ...]) -> LogEntry:
    return LogEntry(int(row[0]), row[1], row[2], row[3], row[4])


class PostgresLogStore:
    """:class:`~cerkit.ledger.base.LogStore` on a PostgreSQL database (``postgresql://``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = Connections(url, "log store")
        conn = self._db.writer()
        with self._db.errors("create schema"), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in _SCHEMA:
                conn.execute(statement)

    def append(self, items: Sequence[tuple[str, bytes]], stamp: Stamp) -> Appended:
        import psycopg

        with self._db.lock:
            for attempt in (1, 2):
                conn = self._db.writer()
                try:
                    with conn.transaction():
                        return self._append_locked(conn, items, stamp)
                except psycopg.OperationalError as exc:
                    # The connection dropped (server restart, network). An append is
                    # idempotent by certificateHash, so one retry on a new connection is
                    # safe even if the lost transaction had committed.
                    if attempt == 2 or not conn.broken:
                        raise self._db.failure("append", exc) from None
                except psycopg.Error as exc:
                    raise self._db.failure("append", exc) from None
        raise AssertionError("unreachable")

    def _append_locked(
        self,
        conn: psycopg.Connection[tuple[Any, ...]],
        items: Sequence[tuple[str, bytes]],
        stamp: Stamp,
    ) -> Appended:
        row = conn.execute("SELECT size FROM log_head WHERE id = 1 FOR UPDATE").fetchone()
        size = int(row[0]) if row else 0
        hashes = list(dict.fromkeys(cert for cert, _ in items))
        sql = f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE certificate_hash = ANY(%s)"
        known = {r[1]: _entry(r) for r in conn.execute(sql, (hashes,))}
        columns: tuple[list[Any], ...] = ([], [], [], [], [], [])
        entries: list[LogEntry] = []
        created: list[bool] = []
        for cert, bundle in items:
            entry = known.get(cert)
            created.append(entry is None)
            if entry is None:
                entry = stamp(size, cert)
                known[cert] = entry
                size += 1
                values = (entry.index, cert, entry.timestamp, entry.kid, entry.signature)
                for column, value in zip(columns, (*values, bundle), strict=True):
                    column.append(value)
            entries.append(entry)
        if columns[0]:
            conn.execute(_INSERT, columns)
            conn.execute("UPDATE log_head SET size = %s WHERE id = 1", (size,))
        return Appended(entries, created, size)

    def size(self) -> int:
        rows = self._db.read("size", "SELECT size FROM log_head WHERE id = 1")
        return int(rows[0][0]) if rows else 0

    def entry(self, certificate_hash: str) -> LogEntry | None:
        sql = f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE certificate_hash = %s"
        rows = self._db.read("read entry", sql, (certificate_hash,))
        return _entry(rows[0]) if rows else None

    def bundle(self, certificate_hash: str) -> bytes | None:
        sql = "SELECT bundle FROM log_entries WHERE certificate_hash = %s"
        rows = self._db.read("read bundle", sql, (certificate_hash,))
        return bytes(rows[0][0]) if rows else None

    def entries(self, start: int, end: int) -> list[LogEntry]:
        sql = f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE idx >= %s AND idx < %s ORDER BY idx"
        return [_entry(row) for row in self._db.read("read entries", sql, (start, end))]

    def find(self, prefix: str) -> list[str]:
        sql, params = find_query(POSTGRES, prefix, "log_entries")
        return [row[0] for row in self._db.read("find", sql, tuple(params))]

    def hashes(self, start: int, end: int) -> list[tuple[int, str]]:
        sql = (
            "SELECT idx, certificate_hash FROM log_entries"
            " WHERE idx >= %s AND idx < %s ORDER BY idx"
        )
        return [(int(i), c) for i, c in self._db.read("read hashes", sql, (start, end))]

    def ping(self) -> None:
        self._db.read("ping", "SELECT 1")

    def close(self) -> None:
        self._db.close()
