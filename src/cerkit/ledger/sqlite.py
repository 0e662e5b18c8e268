"""The embedded record store: one SQLite file in WAL mode (``.cerkit/ledger.db``).

Durability trade-off (docs/capture.md, "Record store"): every :meth:`SQLiteStore.put` is one
transaction on one long-lived connection, in WAL mode with ``synchronous=NORMAL``. A record is
therefore either wholly in the database or absent, after any crash of the process; a power
loss or kernel crash may lose the last transactions committed before it (they are in the
WAL but not yet fsynced), never corrupt the file or leave half a record. ``flush()`` forces a
WAL checkpoint with an fsync for callers that need a durability point.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson

from cerkit.errors import OperationalError, Reason, SchemaError
from cerkit.ledger.base import RecordQuery

SCHEMA_VERSION: Final[int] = 1
_SCHEMA: Final[str] = """
CREATE TABLE IF NOT EXISTS records (
    certificate_hash TEXT PRIMARY KEY,
    created_at       TEXT NOT NULL,
    entry_point      TEXT,
    model            TEXT,
    provider         TEXT,
    kind             TEXT,
    status           TEXT,
    execution_key    TEXT,
    bundle           BLOB NOT NULL,  -- the record's JSON without meta, bytes as stored
    meta             BLOB,           -- the unhashed meta object, JSON, or NULL
    stored_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_created_at ON records (created_at);
CREATE INDEX IF NOT EXISTS records_entry_point ON records (entry_point, created_at);
CREATE INDEX IF NOT EXISTS records_model ON records (model, created_at);
CREATE INDEX IF NOT EXISTS records_execution_key ON records (execution_key, created_at);
"""
#: How long a writer waits for another process's transaction before failing.
BUSY_TIMEOUT_MS: Final[int] = 10_000


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits: the standard library writes them exactly
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _execution_key_function() -> Any:
    """``cerkit.drift.key.execution_key`` when the drift package provides it, else None."""
    try:
        from cerkit.drift.key import execution_key
    except ImportError:
        return None
    return execution_key


def _columns(bundle: Mapping[str, Any]) -> tuple[Any, ...]:
    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    execution = snapshot.get("execution")
    execution = execution if isinstance(execution, Mapping) else {}
    entry = execution.get("entryPoint") or snapshot.get("prompt")
    return (
        entry if isinstance(entry, str) else None,
        snapshot.get("model") if isinstance(snapshot.get("model"), str) else None,
        snapshot.get("provider") if isinstance(snapshot.get("provider"), str) else None,
        execution.get("kind") if isinstance(execution.get("kind"), str) else None,
        execution.get("status") if isinstance(execution.get("status"), str) else None,
    )


class SQLiteStore:
    """A :class:`~cerkit.ledger.base.RecordStore` in one SQLite file.

    >>> import tempfile, os
    >>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "ledger.db"))
    >>> store.count()
    0
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._key_function = _execution_key_function()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            with self._transaction():
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            raise OperationalError(
                f"cannot open record store {self.path}: {exc}", Reason.STORE_ERROR
            ) from None

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One atomic write: ``BEGIN IMMEDIATE`` takes the write lock up front, so two
        writers never deadlock half-way; any error rolls the whole transaction back."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def put(self, bundle: Mapping[str, Any]) -> bool:
        """Store a sealed bundle in one transaction; False when already stored (its ``meta``
        is then merged into the stored one, key by key)."""
        cert = bundle.get("certificateHash")
        created = bundle.get("createdAt")
        if not isinstance(cert, str) or not cert or not isinstance(created, str):
            raise SchemaError("only sealed records (certificateHash, createdAt) can be stored")
        body = {k: v for k, v in bundle.items() if k != "meta"}
        meta = bundle.get("meta")
        key = self._execution_key(bundle)
        row = (cert, created, *_columns(bundle), key, _dumps(body),
               _dumps(meta) if meta is not None else None, _now())  # fmt: skip
        try:
            with self._lock, self._transaction():
                cursor = self._db.execute(
                    "INSERT INTO records (certificate_hash, created_at, entry_point, model, provider,"
                    " kind, status, execution_key, bundle, meta, stored_at)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (certificate_hash) DO NOTHING",
                    row,
                )
                created_row = cursor.rowcount == 1
                if not created_row and isinstance(meta, Mapping) and meta:
                    self._merge_meta(cert, meta)
        except sqlite3.Error as exc:
            raise OperationalError(
                f"cannot write to {self.path}: {exc}", Reason.STORE_ERROR
            ) from None
        return created_row

    def _execution_key(self, bundle: Mapping[str, Any]) -> str | None:
        if self._key_function is None:
            return None
        try:
            key = self._key_function(bundle)
        except Exception:  # a record the drift key cannot describe is stored without one
            return None
        return key if isinstance(key, str) else None

    def _merge_meta(self, cert: str, meta: Mapping[str, Any]) -> None:
        row = self._db.execute(
            "SELECT meta FROM records WHERE certificate_hash=?", (cert,)
        ).fetchone()
        stored = json.loads(row[0]) if row and row[0] else {}
        merged = {**stored, **meta}
        self._db.execute(
            "UPDATE records SET meta=? WHERE certificate_hash=?", (_dumps(merged), cert)
        )

    def get(self, certificate_hash: str) -> dict[str, Any] | None:
        row = self._read(
            "SELECT bundle, meta FROM records WHERE certificate_hash=?", (certificate_hash,)
        )
        return _bundle(row[0]) if row else None

    def find(self, prefix: str) -> list[str]:
        """certificateHashes starting with ``prefix`` (``sha256:`` may be omitted)."""
        if not prefix.startswith("sha256:"):
            prefix = "sha256:" + prefix
        rows = self._read_all(
            "SELECT certificate_hash FROM records WHERE certificate_hash >= ? AND certificate_hash < ?"
            " ORDER BY certificate_hash LIMIT 10",
            (prefix, prefix + "\uffff"),
        )
        return [r[0] for r in rows]

    def query(self, query: RecordQuery = RecordQuery()) -> Iterator[dict[str, Any]]:
        clauses, params = [], []
        for column, value in (("entry_point", query.entry_point), ("model", query.model),
                              ("execution_key", query.execution_key)):  # fmt: skip
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if query.since is not None:
            clauses.append("created_at >= ?")
            params.append(query.since)
        if query.until is not None:
            clauses.append("created_at <= ?")
            params.append(query.until)
        sql = "SELECT bundle, meta FROM records"
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY created_at, rowid"
        if query.limit is not None:
            sql += f" LIMIT {int(query.limit)}"
        for row in self._read_all(sql, tuple(params)):
            yield _bundle(row)

    def set_meta(self, certificate_hash: str, meta: Mapping[str, Any]) -> None:
        try:
            with self._lock, self._transaction():
                cursor = self._db.execute(
                    "UPDATE records SET meta=? WHERE certificate_hash=?",
                    (_dumps(dict(meta)), certificate_hash),
                )
        except sqlite3.Error as exc:
            raise OperationalError(
                f"cannot write to {self.path}: {exc}", Reason.STORE_ERROR
            ) from None
        if cursor.rowcount != 1:
            raise OperationalError(
                f"no record {certificate_hash} in {self.path}", Reason.STORE_ERROR
            )

    def set_execution_key(self, certificate_hash: str, key: str | None) -> None:
        """Fill the ``execution_key`` column (for records stored before drift could key them)."""
        with self._lock, self._transaction():
            self._db.execute(
                "UPDATE records SET execution_key=? WHERE certificate_hash=?",
                (key, certificate_hash),
            )

    def count(self) -> int:
        row = self._read("SELECT count(*) FROM records", ())
        return int(row[0]) if row else 0

    def flush(self) -> None:
        """A durability point: checkpoint the WAL into the database file with an fsync."""
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(FULL)")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _read(self, sql: str, params: tuple[Any, ...]) -> Any:
        rows = self._read_all(sql, params)
        return rows[0] if rows else None

    def _read_all(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise OperationalError(f"cannot read {self.path}: {exc}", Reason.STORE_ERROR) from None


def _bundle(row: tuple[bytes, bytes | None]) -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(row[0])
    if row[1] is not None:
        bundle["meta"] = json.loads(row[1])
    return bundle


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


__all__ = ["SQLiteStore"]
