"""Records in PostgreSQL: the :class:`~cerkit.ledger.base.RecordStore` for shared deployments.

Each record is kept as its JSON bytes (the signed bytes are the record; nothing is
re-modelled), beside the few columns queries filter on: ``createdAt``, the entry point, the
model and the execution key (docs/drift.md §1). ``meta`` is outside the hash, so storing a
record again merges its ``meta`` into the stored one (a later attestation or signature is
added, nothing already stored is lost).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, Final

import orjson

from cerkit.errors import OperationalError, Reason, SchemaError
from cerkit.execution_key import execution_key, replay_of
from cerkit.ledger._postgres import Connections, connect
from cerkit.ledger._sql import (
    FILL_VERDICTS,
    POSTGRES,
    Placed,
    browse_query,
    browse_rows,
    find_query,
    index_query,
    place,
    record_query,
)
from cerkit.ledger.base import (
    BrowseQuery,
    BrowseRow,
    IndexRow,
    RecordQuery,
    ReplayRow,
    record_columns,
)

_SCHEMA: Final[str] = """CREATE TABLE IF NOT EXISTS records (
    certificate_hash TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    entry_point TEXT,
    model TEXT,
    execution_key TEXT,
    bundle BYTEA NOT NULL,
    output_hash TEXT,
    status TEXT,
    execution_id TEXT,
    verdict TEXT,
    replay_of TEXT)"""
_INDEXES: Final[tuple[str, ...]] = (
    "CREATE INDEX IF NOT EXISTS records_created ON records (created_at)",
    # Covers the drift pass (docs/drift.md §4): an index-only scan reads its rows. Its key
    # orders each execution key's records as the verdict chain does (_sql.place).
    # Replays are not new executions: replay_of in it lets the pass leave them out.
    "CREATE INDEX IF NOT EXISTS records_drift ON records (execution_key, created_at,"
    " certificate_hash) INCLUDE (output_hash, replay_of)",
    "CREATE INDEX IF NOT EXISTS records_replays ON records (execution_key, created_at)"
    " WHERE replay_of IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS records_entry ON records (entry_point, created_at)",
    # Keyset pages of the portal's ledger view (RecordStore.browse), newest first.
    "CREATE INDEX IF NOT EXISTS records_browse ON records (created_at, certificate_hash)",
    "CREATE INDEX IF NOT EXISTS records_model ON records (model, created_at, certificate_hash)",
    "CREATE INDEX IF NOT EXISTS records_status ON records (status, created_at, certificate_hash)",
    "CREATE INDEX IF NOT EXISTS records_execution_id ON records (execution_id)",
    "CREATE INDEX IF NOT EXISTS records_verdict ON records (verdict, created_at, certificate_hash)",
)
_INSERT: Final[str] = (
    "INSERT INTO records (certificate_hash, created_at, entry_point, model, execution_key,"
    " output_hash, status, execution_id, verdict, replay_of, bundle)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (certificate_hash) DO NOTHING"
)
_INDEX_ROWS: Final[str] = (
    "SELECT certificate_hash, execution_key, created_at, output_hash FROM records"
)
_REPLAY_ROWS: Final[str] = (
    "SELECT certificate_hash, execution_key, created_at, output_hash, replay_of FROM records"
)
#: Rows per round trip of the server-side cursor behind ``index_rows``.
_ITERSIZE: Final[int] = 10_000
_SCHEMA_LOCK: Final[int] = 0x63657272


def _dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits: the standard library writes them exactly
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _loads(data: bytes) -> dict[str, Any]:
    # The standard library, not orjson: orjson reads integers beyond 64 bits as floats.
    return dict(json.loads(data))


def _key(bundle: Mapping[str, Any]) -> str | None:

    try:
        return execution_key(bundle)
    except Exception:  # as the SQLite store: a record the key cannot describe has none
        return None


def _output_hash(bundle: Mapping[str, Any]) -> str:
    snapshot = bundle.get("snapshot")
    return str(snapshot.get("outputHash", "")) if isinstance(snapshot, Mapping) else ""


def _columns(bundle: Mapping[str, Any]) -> tuple[str | None, ...]:
    """``(certificateHash, createdAt, entry point, model, execution key, outputHash,
    status, executionId)``."""
    cert, created = bundle.get("certificateHash"), bundle.get("createdAt")
    if not isinstance(cert, str) or not isinstance(created, str):
        raise SchemaError("a stored record needs certificateHash and createdAt strings")
    found = record_columns(bundle)
    return (
        cert,
        created,
        found.entry_point,
        found.model,
        _key(bundle),
        _output_hash(bundle),
        found.status,
        found.execution_id,
    )


def _migrate(conn: Any) -> bool:
    """Bring a table written by an older cerkit to this schema (inside the caller's
    transaction): add ``output_hash``, fill it from the stored JSON, and drop the index
    ``records_drift`` supersedes. A row whose JSON PostgreSQL cannot read keeps ``NULL``;
    ``index_rows`` computes such rows from the record. True when the ``verdict`` column
    was added: the caller fills it once the indexes are built."""
    present = {
        name
        for (name,) in conn.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = 'records'"
        )
    }
    if present and "execution_id" not in present:
        _migrate_browse_columns(conn)
    if present and "verdict" not in present:
        conn.execute("ALTER TABLE records ADD COLUMN verdict TEXT")
        conn.execute("DROP INDEX IF EXISTS records_drift")  # rebuilt with its new key
    fill = bool(present) and "verdict" not in present
    if present and "replay_of" not in present:
        _migrate_replay_column(conn)
    if not present or "output_hash" in present:
        return fill
    conn.execute("ALTER TABLE records ADD COLUMN output_hash TEXT")
    conn.execute("DROP INDEX IF EXISTS records_key")
    _fill_from_json(
        conn,
        "UPDATE records SET output_hash = coalesce("
        "convert_from(bundle, 'UTF8')::jsonb #>> '{snapshot,outputHash}', '')",
    )
    return fill


def _fill_from_json(conn: Any, update: str) -> None:
    """Run ``update`` (filling new columns from the stored JSON) in a savepoint: when
    PostgreSQL cannot read a row's JSON, the update is undone and every value stays
    ``NULL`` (readers compute such rows from the record)."""
    import psycopg

    try:
        with conn.transaction():
            conn.execute(update)
    except psycopg.Error:
        pass


def _migrate_browse_columns(conn: Any) -> None:
    """Add ``status`` and ``execution_id`` (the portal's filters) and fill them from the
    stored JSON; a row PostgreSQL cannot read keeps ``NULL`` (it is then not found by them)."""
    conn.execute("ALTER TABLE records ADD COLUMN IF NOT EXISTS status TEXT")
    conn.execute("ALTER TABLE records ADD COLUMN IF NOT EXISTS execution_id TEXT")
    _fill_from_json(
        conn,
        "UPDATE records SET"
        " status = convert_from(bundle, 'UTF8')::jsonb #>> '{snapshot,execution,status}',"
        " execution_id = convert_from(bundle, 'UTF8')::jsonb #>> '{snapshot,executionId}'",
    )


def _migrate_replay_column(conn: Any) -> None:
    """Add ``replay_of`` (a replay's ``meta.replay.of``), fill it from the stored JSON, and
    drop ``records_drift`` so that it is built again with it."""
    conn.execute("ALTER TABLE records ADD COLUMN IF NOT EXISTS replay_of TEXT")
    conn.execute("DROP INDEX IF EXISTS records_drift")
    _fill_from_json(
        conn,
        "UPDATE records SET replay_of = coalesce(convert_from(bundle, 'UTF8')::jsonb"
        " #>> '{meta,replay,of}', '') WHERE jsonb_typeof(convert_from(bundle,"
        " 'UTF8')::jsonb #> '{meta,replay}') = 'object'",
    )


class PostgresRecordStore:
    """Records in a PostgreSQL database; safe to share between processes and threads."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = Connections(url, "record store")
        self._lock = self._db.lock
        self._errors = self._db.errors
        conn = self._conn = self._db.writer()
        with self._errors("create schema"), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            fill = _migrate(conn)
            conn.execute(_SCHEMA)
            for statement in _INDEXES:
                conn.execute(statement)
            if fill:
                conn.execute(FILL_VERDICTS)

    def put(self, bundle: Mapping[str, Any]) -> bool:
        row = _columns(bundle)
        data = _dumps(dict(bundle))
        with self._lock, self._errors("put"), self._conn.transaction():
            placed = self._place_locked(row)
            cursor = self._conn.execute(_INSERT, (*row, placed.verdict, replay_of(bundle), data))
            if cursor.rowcount:
                if (update := placed.update(POSTGRES)) is not None:
                    self._conn.execute(*update)
                return True
            meta = bundle.get("meta")
            if isinstance(meta, Mapping) and meta:
                self._merge_meta_locked(str(row[0]), meta)
            return False

    def _place_locked(self, row: tuple[str | None, ...]) -> Placed:
        """The record's place in its key's verdict chain. Writers of one execution key take
        turns (a transaction-scoped advisory lock on the key), so two concurrent inserts
        never both read the chain without the other."""
        cert, created, key, output = row[0], row[1], row[4], row[5]
        assert cert is not None and created is not None
        if key is not None:
            self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (key,))
        return place(self._run, POSTGRES, (cert, created, key, output))

    def _run(self, sql: str, params: list[Any]) -> list[Any]:
        return self._conn.execute(sql, params).fetchall()

    def put_later(self, bundle: Mapping[str, Any]) -> None:
        """Store at once: PostgreSQL has no write queue (each commit is one round trip)."""
        self.put(bundle)

    def _merge_meta_locked(self, cert: str, meta: Mapping[str, Any]) -> None:
        found = self._conn.execute(
            "SELECT bundle FROM records WHERE certificate_hash = %s FOR UPDATE", (cert,)
        ).fetchone()
        if found is None:
            return
        stored = _loads(found[0])
        merged = {**(stored.get("meta") or {}), **meta}
        self._write_meta_locked(cert, stored, merged)

    def _write_meta_locked(
        self, cert: str, stored: dict[str, Any], meta: Mapping[str, Any]
    ) -> None:
        stored["meta"] = dict(meta)
        self._conn.execute(
            "UPDATE records SET bundle = %s, replay_of = %s WHERE certificate_hash = %s",
            (_dumps(stored), replay_of(stored), cert),
        )

    def get(self, certificate_hash: str) -> dict[str, Any] | None:
        with self._lock, self._errors("get"):
            row = self._conn.execute(
                "SELECT bundle FROM records WHERE certificate_hash = %s", (certificate_hash,)
            ).fetchone()
        return None if row is None else _loads(row[0])

    def find(self, prefix: str) -> list[str]:
        """certificateHashes starting with ``prefix`` (``sha256:`` may be omitted)."""
        sql, params = find_query(POSTGRES, prefix)
        with self._lock, self._errors("find"):
            rows = self._conn.execute(sql, params).fetchall()
        return [r[0] for r in rows]

    def browse(self, query: BrowseQuery) -> list[BrowseRow]:
        """One keyset page (see :meth:`RecordStore.browse`), from the indexed columns."""
        sql, params = browse_query(query, POSTGRES)
        with self._lock, self._errors("browse"):
            rows = self._conn.execute(sql, params).fetchall()
        return browse_rows(query, rows)

    def flush(self) -> None:
        """A durability point; every PostgreSQL commit already is one."""

    def query(self, query: RecordQuery | None = None) -> Iterator[dict[str, Any]]:
        sql, params = record_query("SELECT bundle FROM records", query or RecordQuery(), POSTGRES)
        with self._lock, self._errors("query"):
            rows = self._conn.execute(sql, params).fetchall()
        for (data,) in rows:
            yield _loads(data)

    def index_rows(
        self, since: str | None = None, until: str | None = None, key: str | None = None
    ) -> Iterator[IndexRow]:
        """The drift pass's compact rows (see :meth:`RecordStore.index_rows`), streamed
        from a server-side cursor on a connection of its own (an index-only scan of
        ``records_drift`` once the table is vacuumed); no record is read or parsed."""
        sql, params = index_query(_INDEX_ROWS, POSTGRES, since, until, key)
        return self._stream(sql, params)

    def replay_rows(
        self, since: str | None = None, until: str | None = None, key: str | None = None
    ) -> Iterator[ReplayRow]:
        """The replays' rows (see :meth:`RecordStore.replay_rows`); they are few."""
        sql, params = index_query(_REPLAY_ROWS, POSTGRES, since, until, key, replays=True)
        with self._lock, self._errors("replay rows"):
            found = self._conn.execute(sql, params).fetchall()
        return iter([tuple(row) for row in found])

    def _stream(self, sql: str, params: list[Any]) -> Iterator[IndexRow]:
        conn = connect(self.url)
        try:
            with (
                self._errors("index rows"),
                conn.transaction(),
                conn.cursor(name="cerkit_index_rows") as cursor,
            ):
                cursor.itersize = _ITERSIZE
                cursor.execute(sql, params)
                for row in cursor:
                    if row[1] is not None and row[3] is not None:
                        yield row
                    elif (computed := self._computed_row(row[0])) is not None:
                        yield computed
        finally:
            conn.close()

    def _computed_row(self, certificate_hash: str) -> IndexRow | None:
        """A row whose compact columns are unknown, from its record."""
        bundle = self.get(certificate_hash)
        key = _key(bundle) if bundle is not None else None
        if bundle is None or key is None:
            return None
        return (certificate_hash, key, str(bundle["createdAt"]), _output_hash(bundle))

    def set_meta(self, certificate_hash: str, meta: Mapping[str, Any]) -> None:
        with self._lock, self._errors("set meta"), self._conn.transaction():
            found = self._conn.execute(
                "SELECT bundle FROM records WHERE certificate_hash = %s FOR UPDATE",
                (certificate_hash,),
            ).fetchone()
            if found is None:
                raise OperationalError(f"no record {certificate_hash}", Reason.STORE_ERROR)
            self._write_meta_locked(certificate_hash, _loads(found[0]), meta)

    def count(self) -> int:
        with self._lock, self._errors("count"):
            row = self._conn.execute("SELECT count(*) FROM records").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self._db.close()
