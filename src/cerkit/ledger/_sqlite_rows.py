"""Rows of the SQLite record store: schema, indexed columns, and environments stored once.

A record's ``snapshot.environment`` (the runtime fingerprint, a few kilobytes that most
records of a process share) is kept once in the ``environments`` table and referenced from
the record's row; reading a record puts it back, so callers always get the whole record.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from cerkit.ledger._sql import FILL_VERDICTS

#: 2 added ``output_hash`` and the covering index ``records_drift``; 3 added
#: ``execution_id`` and the portal's browsing indexes; 4 added ``verdict`` (the ledger's
#: output verdict, docs/portal.md) and put ``certificate_hash`` in the key of
#: ``records_drift``; 5 added ``replay_of`` (docs/drift.md §4c), last in ``records_drift``
#: (older stores are migrated on open, see :func:`migrate`).
SCHEMA_VERSION: Final[int] = 5
SCHEMA: Final[str] = """
CREATE TABLE IF NOT EXISTS records (
    certificate_hash TEXT PRIMARY KEY,
    created_at       TEXT NOT NULL,
    entry_point      TEXT,
    model            TEXT,
    provider         TEXT,
    kind             TEXT,
    status           TEXT,
    execution_key    TEXT,
    output_hash      TEXT,           -- snapshot.outputHash, '' when absent
    execution_id     TEXT,           -- snapshot.executionId
    verdict          TEXT,           -- first | same | changed (ledger.base.OUTPUT_VERDICTS)
    replay_of        TEXT,           -- a replay's meta.replay.of ('' unnamed), else NULL
    bundle           BLOB NOT NULL,  -- the record's JSON without meta, environment referenced
    meta             BLOB,           -- the unhashed meta object, JSON, or NULL
    stored_at        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS environments (
    environment_key TEXT PRIMARY KEY,  -- sha256 hex of body
    body            BLOB NOT NULL      -- one snapshot.environment object, JSON
);
CREATE INDEX IF NOT EXISTS records_created_at ON records (created_at);
CREATE INDEX IF NOT EXISTS records_entry_point ON records (entry_point, created_at);
CREATE INDEX IF NOT EXISTS records_model ON records (model, created_at);
-- Keyset pages of the portal's ledger view (RecordStore.browse), newest first.
CREATE INDEX IF NOT EXISTS records_browse ON records (created_at, certificate_hash);
CREATE INDEX IF NOT EXISTS records_status ON records (status, created_at, certificate_hash);
CREATE INDEX IF NOT EXISTS records_execution_id ON records (execution_id);
CREATE INDEX IF NOT EXISTS records_verdict ON records (verdict, created_at, certificate_hash);
-- Covers the drift pass (docs/drift.md §4): its rows are read from this index alone. Its
-- key orders each execution key's records as the verdict chain does (_sql.place). Replays
-- are not new executions, and replay_of in it lets the pass leave them out from the index.
CREATE INDEX IF NOT EXISTS records_drift
    ON records (execution_key, created_at, certificate_hash, output_hash, replay_of);
CREATE INDEX IF NOT EXISTS records_replays
    ON records (execution_key, created_at) WHERE replay_of IS NOT NULL;
"""
INSERT: Final[str] = (
    "INSERT INTO records (certificate_hash, created_at, entry_point, model, provider,"
    " kind, status, execution_key, output_hash, execution_id, verdict, replay_of, bundle,"
    " meta, stored_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
    " ON CONFLICT (certificate_hash) DO NOTHING"
)
#: The compact rows of the drift pass, read from the covering index alone (no bundle, no
#: JSON): each execution key's records in time order. Filters are appended by the caller.
INDEX_ROWS: Final[str] = (
    "SELECT certificate_hash, execution_key, created_at, output_hash"
    " FROM records INDEXED BY records_drift"
)
#: The replays' rows (``replay_of`` last), the few the drift pass reads as evidence.
REPLAY_ROWS: Final[str] = (
    "SELECT certificate_hash, execution_key, created_at, output_hash, replay_of"
    " FROM records INDEXED BY records_replays"
)
# The key standing for the environment in a stored row (``$`` keys are reserved by the
# encoding rules, so no recorded environment has this shape).
_REF: Final[str] = "$cerkitEnvironment"


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # integers beyond 64 bits: the standard library writes them exactly
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def output_hash(bundle: Mapping[str, Any]) -> str:
    """``snapshot.outputHash`` as the drift pass reads it (``""`` when absent)."""
    snapshot = bundle.get("snapshot")
    value = snapshot.get("outputHash", "") if isinstance(snapshot, Mapping) else ""
    return str(value)


def migrate(db: sqlite3.Connection, key: Callable[[Mapping[str, Any]], str | None]) -> None:
    """Bring a store written by an older cerkit to this schema, inside the caller's
    transaction: add the missing compact columns and fill them, then drop the index that
    ``records_drift`` supersedes. A no-op on a new or current store.

    ``output_hash`` is filled by SQLite's JSON functions in C; a row whose JSON SQLite
    cannot read keeps ``NULL``, which readers treat as "not known yet" and compute from
    the record. ``execution_key`` is computed in Python for the rows that lack it.
    """
    present = {r[1] for r in db.execute("PRAGMA table_info(records)")}
    if present and "output_hash" not in present:
        _migrate_drift_columns(db, key, present)
    if present and "execution_id" not in present:
        db.execute("ALTER TABLE records ADD COLUMN execution_id TEXT")
        db.execute(
            "UPDATE records SET execution_id = CASE WHEN json_valid(CAST(bundle AS TEXT)) THEN"
            " json_extract(CAST(bundle AS TEXT), '$.snapshot.executionId') END"
        )
    if present and "verdict" not in present:
        db.execute("ALTER TABLE records ADD COLUMN verdict TEXT")
        db.execute("DROP INDEX IF EXISTS records_drift")  # SCHEMA builds it with its new key
        db.execute(FILL_VERDICTS)
    if present and "replay_of" not in present:
        _migrate_replay_column(db)


def _migrate_replay_column(db: sqlite3.Connection) -> None:
    """Schema 5: ``replay_of`` filled from ``meta`` in C; ``records_drift`` rebuilt with it."""
    db.execute("ALTER TABLE records ADD COLUMN replay_of TEXT")
    db.execute(
        "UPDATE records SET replay_of = coalesce(json_extract(CAST(meta AS TEXT),"
        " '$.replay.of'), '') WHERE meta IS NOT NULL AND json_valid(CAST(meta AS TEXT))"
        " AND json_type(CAST(meta AS TEXT), '$.replay') = 'object'"
    )
    db.execute("DROP INDEX IF EXISTS records_drift")


def _migrate_drift_columns(
    db: sqlite3.Connection, key: Callable[[Mapping[str, Any]], str | None], present: set[str]
) -> None:
    """Schema 2: ``output_hash`` filled in C, ``execution_key`` computed in Python."""
    if "execution_key" not in present:
        db.execute("ALTER TABLE records ADD COLUMN execution_key TEXT")
    db.execute("ALTER TABLE records ADD COLUMN output_hash TEXT")
    db.execute(
        "UPDATE records SET output_hash = CASE WHEN json_valid(CAST(bundle AS TEXT)) THEN"
        " coalesce(json_extract(CAST(bundle AS TEXT), '$.snapshot.outputHash'), '') END"
    )
    unkeyed = db.execute("SELECT certificate_hash, bundle FROM records WHERE execution_key IS NULL")
    keys = [(key(json.loads(data)), cert) for cert, data in unkeyed.fetchall()]
    db.executemany("UPDATE records SET execution_key=? WHERE certificate_hash=?", keys)
    db.execute("DROP INDEX IF EXISTS records_execution_key")


class Environments:
    """Stores each distinct environment once and swaps it for a reference in rows."""

    def __init__(self) -> None:
        self._last: tuple[tuple[Any, ...], str] | None = None
        self._bodies: dict[str, bytes] = {}

    def forget(self) -> None:
        """After a rolled-back transaction: the last environment may not be stored."""
        self._last = None

    def reference(
        self, db: sqlite3.Connection, body: dict[str, Any], shared: bool
    ) -> dict[str, Any]:
        """``body`` with its environment stored (inside the caller's transaction) and
        replaced by a reference.

        ``shared``: the environment was built by the recorder from cached part objects that
        are never mutated; for those, the same part objects mean the same environment and
        the serialization is skipped.
        """
        snapshot = body.get("snapshot")
        if not isinstance(snapshot, Mapping) or not isinstance(snapshot.get("environment"), dict):
            return body
        environment = snapshot["environment"]
        parts = tuple(environment.values()) if shared else ()
        last = self._last
        if (
            parts
            and last is not None
            and len(last[0]) == len(parts)
            and all(a is b for a, b in zip(last[0], parts, strict=True))
        ):
            key = last[1]
        else:
            data = dumps(environment)
            key = hashlib.sha256(data).hexdigest()
            db.execute(
                "INSERT INTO environments (environment_key, body) VALUES (?, ?)"
                " ON CONFLICT (environment_key) DO NOTHING",
                (key, data),
            )
            self._last = (parts, key) if parts else None
        return {**body, "snapshot": {**snapshot, "environment": {_REF: key}}}

    def restore(self, bundle: dict[str, Any], read: Callable[[str], bytes | None]) -> None:
        """Put the referenced environment back into a bundle read from a row."""
        snapshot = bundle.get("snapshot")
        if not isinstance(snapshot, dict):
            return
        reference = snapshot.get("environment")
        if not isinstance(reference, dict) or set(reference) != {_REF}:
            return
        key = reference[_REF]
        data = self._bodies.get(key)
        if data is None:
            data = read(key)
            if data is None:
                raise LookupError(key)
            self._bodies[key] = data
        snapshot["environment"] = json.loads(data)
