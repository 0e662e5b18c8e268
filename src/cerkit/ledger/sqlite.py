"""The embedded record store: one SQLite file in WAL mode (``.cerkit/ledger.db``).

Durability trade-off (docs/capture.md, "Record store"): every :meth:`SQLiteRecordStore.put` is one
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
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import cerkit.ledger._sqlite_rows as rows
from cerkit.errors import OperationalError, Reason, SchemaError
from cerkit.execution_key import execution_key, replay_of
from cerkit.ledger._sql import (
    SQLITE,
    Tails,
    browse_query,
    browse_rows,
    find_query,
    index_query,
    place,
    record_query,
)
from cerkit.ledger._sqlite_files import create_private
from cerkit.ledger._sqlite_index import stream_index_rows
from cerkit.ledger.base import (
    BrowseQuery,
    BrowseRow,
    IndexRow,
    RecordQuery,
    ReplayRow,
    record_columns,
)

#: How long a writer waits for another process's transaction before failing.
BUSY_TIMEOUT_MS: Final[int] = 10_000


class SQLiteRecordStore:
    """A :class:`~cerkit.ledger.base.RecordStore` in one SQLite file.

    >>> import tempfile, os
    >>> store = SQLiteRecordStore(os.path.join(tempfile.mkdtemp(), "ledger.db"))
    >>> store.count()
    0
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._environments = rows.Environments()
        self._writer: Any = None
        self._pid = os.getpid()
        self._db = self._connect()

    def _connect(self) -> sqlite3.Connection:
        try:
            create_private(self.path)
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
                rows.migrate(self._db, self._execution_key)
                for statement in filter(str.strip, rows.SCHEMA.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={rows.SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            raise OperationalError(
                f"cannot open record store {self.path}: {exc}", Reason.STORE_ERROR
            ) from None
        return self._db

    def _own(self) -> None:
        """In a forked child (multiprocessing, data-loader workers), open a connection and a
        writer of its own: an SQLite connection must not be used across ``fork()``, and the
        parent's writer thread does not exist in the child."""
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._lock = threading.Lock()
            self._writer = None
            self._db = self._connect()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One atomic write: ``BEGIN IMMEDIATE`` takes the write lock up front, so two
        writers never deadlock half-way; any error rolls the whole transaction back."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            self._environments.forget()
            raise
        self._db.execute("COMMIT")

    def put(self, bundle: Mapping[str, Any]) -> bool:
        """Store a sealed bundle in one transaction; False when already stored (its ``meta``
        is then merged into the stored one, key by key)."""
        cert = bundle.get("certificateHash")
        created = bundle.get("createdAt")
        if not isinstance(cert, str) or not cert or not isinstance(created, str):
            raise SchemaError("only sealed records (certificateHash, createdAt) can be stored")
        self._own()
        self._wait_for_writer()
        try:
            with self._lock, self._transaction():
                return self._insert(bundle, cert, created)
        except sqlite3.Error as exc:
            raise OperationalError(
                f"cannot write to {self.path}: {exc}", Reason.STORE_ERROR
            ) from None

    def put_later(self, bundle: Mapping[str, Any]) -> None:
        """Queue a sealed bundle for a group commit and return at once.

        Queued records are committed in batches, each batch one transaction, so a record is
        still either wholly stored or absent. A batch is written when it is full (256
        records, by the caller that fills it), after at most 50 ms by a background flusher,
        by :meth:`flush`, :meth:`close`, any read on this store, and at interpreter exit; a
        process killed before that loses the pending batch (docs/capture.md, "Record
        store"). See :mod:`cerkit.ledger._writer`.
        """
        cert = bundle.get("certificateHash")
        if not isinstance(cert, str) or not cert or not isinstance(bundle.get("createdAt"), str):
            raise SchemaError("only sealed records (certificateHash, createdAt) can be stored")
        self._own()
        if self._writer is None:
            from cerkit.ledger._writer import Writer

            self._writer = Writer(self._write_batch, name=f"cerkit-writer:{self.path.name}")
        self._writer.submit(bundle)

    def put_many(self, bundles: Iterable[Mapping[str, Any]]) -> int:
        """Bulk load: store sealed bundles in one transaction; return how many were new.

        All or nothing: an unsealed bundle or a write error rolls the whole batch back.
        For imports and benchmarks; large batches (tens of thousands of records) amortize
        the commit, at the cost of holding the write lock for the whole batch.
        """
        batch = list(bundles)
        for bundle in batch:
            cert, created = bundle.get("certificateHash"), bundle.get("createdAt")
            if not isinstance(cert, str) or not cert or not isinstance(created, str):
                raise SchemaError("only sealed records (certificateHash, createdAt) can be stored")
        self._own()
        self._wait_for_writer()
        try:
            with self._lock, self._transaction():
                tails: Tails = {}
                inserted = [
                    self._insert(b, b["certificateHash"], b["createdAt"], tails=tails)
                    for b in batch
                ]
        except sqlite3.Error as exc:
            raise OperationalError(
                f"cannot write to {self.path}: {exc}", Reason.STORE_ERROR
            ) from None
        return sum(inserted)

    def _write_batch(self, bundles: list[Mapping[str, Any]]) -> None:
        try:
            with self._lock, self._transaction():
                tails: Tails = {}
                for bundle in bundles:
                    cert, created = bundle["certificateHash"], bundle["createdAt"]
                    self._insert(bundle, cert, created, queued=True, tails=tails)
        except sqlite3.Error as exc:
            raise OperationalError(
                f"cannot write to {self.path}: {exc}", Reason.STORE_ERROR
            ) from None

    def _wait_for_writer(self) -> None:
        if self._writer is not None:
            self._writer.drain()

    def _insert(
        self,
        bundle: Mapping[str, Any],
        cert: str,
        created: str,
        *,
        queued: bool = False,
        tails: Tails | None = None,
    ) -> bool:
        """Insert one record inside the caller's transaction.

        ``queued`` records come from the recorder, whose environments are built from shared,
        never-mutated part objects: for them, the same parts mean the same environment.
        ``tails``: the transaction's verdict-chain tails (:func:`~cerkit.ledger._sql.place`).
        """
        body = {k: v for k, v in bundle.items() if k != "meta"}
        body = self._environments.reference(self._db, body, queued)
        meta = bundle.get("meta")
        meta_json = rows.dumps(meta) if meta is not None else None
        key, output = self._execution_key(bundle), rows.output_hash(bundle)
        placed = place(self._run, SQLITE, (cert, created, key, output), tails)
        c = record_columns(bundle)
        facts = (c.entry_point, c.model, c.provider, c.kind, c.status)
        indexed = (*facts, key, output, c.execution_id, placed.verdict, replay_of(bundle))
        row = (cert, created, *indexed, rows.dumps(body), meta_json, rows.now())
        cursor = self._db.execute(rows.INSERT, row)
        created_row: bool = cursor.rowcount == 1
        if created_row and (update := placed.update(SQLITE)) is not None:
            self._db.execute(*update)
        if not created_row and isinstance(meta, Mapping) and meta:
            self._merge_meta(cert, meta)
        return created_row

    def _run(self, sql: str, params: list[Any]) -> list[Any]:
        return self._db.execute(sql, params).fetchall()

    def _execution_key(self, bundle: Mapping[str, Any]) -> str | None:
        try:
            key = execution_key(bundle)
        except Exception:  # a record the execution key cannot describe is stored without one
            return None
        return key if isinstance(key, str) else None

    def _merge_meta(self, cert: str, meta: Mapping[str, Any]) -> None:
        row = self._db.execute(
            "SELECT meta FROM records WHERE certificate_hash=?", (cert,)
        ).fetchone()
        stored = json.loads(row[0]) if row and row[0] else {}
        merged = {**stored, **meta}
        self._db.execute(
            "UPDATE records SET meta=?, replay_of=? WHERE certificate_hash=?",
            (rows.dumps(merged), replay_of({"meta": merged}), cert),
        )

    def get(self, certificate_hash: str) -> dict[str, Any] | None:
        row = self._read(
            "SELECT bundle, meta FROM records WHERE certificate_hash=?", (certificate_hash,)
        )
        return self._bundle(row) if row else None

    def find(self, prefix: str) -> list[str]:
        """certificateHashes starting with ``prefix`` (``sha256:`` may be omitted)."""
        sql, params = find_query(SQLITE, prefix)
        return [r[0] for r in self._read_all(sql, tuple(params))]

    def query(self, query: RecordQuery | None = None) -> Iterator[dict[str, Any]]:
        """Records matching ``query``, oldest ``createdAt`` first."""
        select = "SELECT bundle, meta FROM records"
        sql, params = record_query(select, query or RecordQuery(), SQLITE)
        for row in self._read_all(sql, tuple(params)):
            yield self._bundle(row)

    def browse(self, query: BrowseQuery) -> list[BrowseRow]:
        """One keyset page (see :meth:`RecordStore.browse`), from the indexed columns."""
        sql, params = browse_query(query, SQLITE)
        return browse_rows(query, self._read_all(sql, tuple(params)))

    def index_rows(
        self, since: str | None = None, until: str | None = None, key: str | None = None
    ) -> Iterator[IndexRow]:
        """The drift pass's compact rows (see :meth:`RecordStore.index_rows`).

        One SELECT over the covering index ``records_drift`` on a read-only connection of
        its own, streamed in batches: no record is read or parsed, and writers on this
        store are not held up. Queued writes are committed first (read your own writes).
        A row whose compact columns are unknown (``NULL``: written by an older cerkit
        after the migration) is computed from its record; a record with no execution key
        is left out.
        """
        self._own()
        self._wait_for_writer()
        sql, params = index_query(rows.INDEX_ROWS, SQLITE, since, until, key)
        return stream_index_rows(self.path, sql, params, self._computed_row)

    def replay_rows(
        self, since: str | None = None, until: str | None = None, key: str | None = None
    ) -> Iterator[ReplayRow]:
        """The replays' rows (see :meth:`RecordStore.replay_rows`), from their index."""
        self._own()
        self._wait_for_writer()
        sql, params = index_query(rows.REPLAY_ROWS, SQLITE, since, until, key, replays=True)
        return iter(self._read_all(sql, tuple(params)))

    def _computed_row(self, certificate_hash: str) -> IndexRow | None:
        bundle = self.get(certificate_hash)
        key = self._execution_key(bundle) if bundle is not None else None
        if bundle is None or key is None:
            return None
        return (certificate_hash, key, str(bundle["createdAt"]), rows.output_hash(bundle))

    def set_meta(self, certificate_hash: str, meta: Mapping[str, Any]) -> None:
        self._own()
        self._wait_for_writer()
        try:
            with self._lock, self._transaction():
                cursor = self._db.execute(
                    "UPDATE records SET meta=?, replay_of=? WHERE certificate_hash=?",
                    (rows.dumps(dict(meta)), replay_of({"meta": meta}), certificate_hash),
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
        """Fill the ``execution_key`` column (for records stored before drift could key them)
        and place the record in that key's verdict chain."""
        self._own()
        self._wait_for_writer()
        with self._lock, self._transaction():
            found = self._run(
                "SELECT created_at, output_hash FROM records WHERE certificate_hash=?",
                [certificate_hash],
            )
            if not found:
                return
            placed = place(self._run, SQLITE, (certificate_hash, found[0][0], key, found[0][1]))
            self._db.execute(
                "UPDATE records SET execution_key=?, verdict=? WHERE certificate_hash=?",
                (key, placed.verdict, certificate_hash),
            )
            if (update := placed.update(SQLITE)) is not None:
                self._db.execute(*update)

    def count(self) -> int:
        row = self._read("SELECT count(*) FROM records", ())
        return int(row[0]) if row else 0

    def flush(self) -> None:
        """Write every queued record, then checkpoint the WAL into the database file with
        an fsync: a durability point."""
        self._own()
        self._wait_for_writer()
        with self._lock:
            self._db.execute("PRAGMA wal_checkpoint(FULL)")

    def close(self) -> None:
        """Write every queued record, stop the writer and close the connection."""
        self._own()
        if self._writer is not None:
            self._writer.stop()
            self._writer = None
        with self._lock:
            self._db.close()

    def _read(self, sql: str, params: tuple[Any, ...]) -> Any:
        rows = self._read_all(sql, params)
        return rows[0] if rows else None

    def _read_all(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        self._own()
        self._wait_for_writer()  # read your own writes
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise OperationalError(f"cannot read {self.path}: {exc}", Reason.STORE_ERROR) from None

    def _bundle(self, row: tuple[bytes, bytes | None]) -> dict[str, Any]:
        bundle: dict[str, Any] = json.loads(row[0])
        try:
            self._environments.restore(bundle, self._environment_body)
        except LookupError as exc:
            raise OperationalError(
                f"{self.path} has no environment {exc.args[0]}", Reason.STORE_ERROR
            ) from None
        if row[1] is not None:
            bundle["meta"] = json.loads(row[1])
        return bundle

    def _environment_body(self, key: str) -> bytes | None:
        row = self._read("SELECT body FROM environments WHERE environment_key=?", (key,))
        return row[0] if row else None


__all__ = ["SQLiteRecordStore"]
