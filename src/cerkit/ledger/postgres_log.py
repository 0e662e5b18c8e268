"""The transparency log and node tokens in PostgreSQL: the scale-out backend.

Several stateless node replicas share one database. The log is sequenced in the database:
every append locks the single ``log_head`` row (``SELECT ... FOR UPDATE``), reads the size,
assigns the next indices and raises the size in the same transaction, so indices are
gap-free and in commit order whichever replica appends. PostgreSQL's default
``synchronous_commit = on`` makes a commit durable before the receipt is handed out.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from cerkit.errors import OperationalError, Reason
from cerkit.ledger.base import Appended, LogEntry, Stamp, Token

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
    """CREATE TABLE IF NOT EXISTS node_tokens (
        token_id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT)""",
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


def connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    """Open an autocommit connection, mapping failures to ``STORE_ERROR``."""
    import psycopg

    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        msg = f"cannot connect to {_redact(url)}: {exc}"
        raise OperationalError(msg, Reason.STORE_ERROR) from None


def _redact(url: str) -> str:
    """The URL without a password, for error messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        creds, _, host = rest.rpartition("@")
        return f"{scheme}{sep}{creds.split(':')[0]}@{host}"
    return url


class PostgresLogStore:
    """:class:`~cerkit.ledger.base.LogStore` on a PostgreSQL database (``postgresql://``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._writer = connect(url)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[psycopg.Connection[tuple[Any, ...]]] = []
        with self._errors("create schema"), self._writer.transaction():
            self._writer.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in _SCHEMA:
                self._writer.execute(statement)

    def _reader(self) -> psycopg.Connection[tuple[Any, ...]]:
        conn: psycopg.Connection[tuple[Any, ...]] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = connect(self.url)
            self._local.conn = conn
            with self._lock:
                self._readers.append(conn)
        return conn

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        import psycopg

        try:
            yield
        except psycopg.Error as exc:
            raise OperationalError(f"log store: {what}: {exc}", Reason.STORE_ERROR) from None

    def _writable(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The writer connection, reopened when the server dropped it."""
        if self._writer.closed or self._writer.broken:
            self._writer.close()
            self._writer = connect(self.url)
        return self._writer

    def append(self, items: Sequence[tuple[str, bytes]], stamp: Stamp) -> Appended:
        import psycopg

        with self._lock:
            for attempt in (1, 2):
                conn = self._writable()
                try:
                    with conn.transaction():
                        return self._append_locked(conn, items, stamp)
                except psycopg.OperationalError as exc:
                    # The connection dropped (server restart, network). An append is
                    # idempotent by certificateHash, so one retry on a new connection is
                    # safe even if the lost transaction had committed.
                    if attempt == 2 or not conn.broken:
                        message = f"log store: append: {exc}"
                        raise OperationalError(message, Reason.STORE_ERROR) from None
                except psycopg.Error as exc:
                    message = f"log store: append: {exc}"
                    raise OperationalError(message, Reason.STORE_ERROR) from None
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

    def _read(self, what: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read on this thread's connection. A connection the server dropped is
        reopened and the read repeated once (reads are safe to repeat)."""
        import psycopg

        for attempt in (1, 2):
            conn = self._reader()
            try:
                return conn.execute(sql, params).fetchall()
            except psycopg.Error as exc:
                if attempt == 1 and conn.broken:
                    continue
                message = f"log store: {what}: {exc}"
                raise OperationalError(message, Reason.STORE_ERROR) from None
        raise AssertionError("unreachable")

    def size(self) -> int:
        rows = self._read("size", "SELECT size FROM log_head WHERE id = 1")
        return int(rows[0][0]) if rows else 0

    def entry(self, certificate_hash: str) -> LogEntry | None:
        sql = f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE certificate_hash = %s"
        rows = self._read("read entry", sql, (certificate_hash,))
        return _entry(rows[0]) if rows else None

    def bundle(self, certificate_hash: str) -> bytes | None:
        sql = "SELECT bundle FROM log_entries WHERE certificate_hash = %s"
        rows = self._read("read bundle", sql, (certificate_hash,))
        return bytes(rows[0][0]) if rows else None

    def entries(self, start: int, end: int) -> list[LogEntry]:
        sql = f"SELECT {_ENTRY_COLUMNS} FROM log_entries WHERE idx >= %s AND idx < %s ORDER BY idx"
        return [_entry(row) for row in self._read("read entries", sql, (start, end))]

    def hashes(self, start: int, end: int) -> list[tuple[int, str]]:
        sql = (
            "SELECT idx, certificate_hash FROM log_entries"
            " WHERE idx >= %s AND idx < %s ORDER BY idx"
        )
        return [(int(i), c) for i, c in self._read("read hashes", sql, (start, end))]

    def ping(self) -> None:
        self._read("ping", "SELECT 1")

    def add_token(self, token: Token, token_hash: str) -> None:
        with self._lock, self._errors("add token"):
            self._writable().execute(
                "INSERT INTO node_tokens VALUES (%s, %s, %s, %s, %s)",
                (token.token_id, token_hash, token.name, token.created_at, token.revoked_at),
            )

    def tokens(self) -> list[Token]:
        sql = "SELECT token_id, name, created_at, revoked_at FROM node_tokens ORDER BY created_at"
        return [Token(*row) for row in self._read("list tokens", sql)]

    def revoke_token(self, token_id: str, revoked_at: str) -> bool:
        with self._lock, self._errors("revoke token"):
            cursor = self._writable().execute(
                "UPDATE node_tokens SET revoked_at = %s WHERE token_id = %s AND revoked_at IS NULL",
                (revoked_at, token_id),
            )
            return cursor.rowcount > 0

    def token_for_hash(self, token_hash: str) -> Token | None:
        sql = "SELECT token_id, name, created_at, revoked_at FROM node_tokens WHERE token_hash = %s"
        rows = self._read("read token", sql, (token_hash,))
        return Token(*rows[0]) if rows else None

    def close(self) -> None:
        with self._lock:
            for conn in [self._writer, *self._readers]:
                conn.close()
            self._readers.clear()
