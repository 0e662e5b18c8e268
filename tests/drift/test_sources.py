"""Drift reading a record store: index rows, the recorder's queued writes, older stores."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_timeline import _cerkit, _write, ledger

from cerkit.drift.sources import rows_from_store
from cerkit.drift.timeline import analyze, row_of
from cerkit.ledger import _writer, close_shared_stores, open_record_store, shared_record_store


def _rows(path: Path, **options: str) -> list[tuple[str, ...]]:
    read = rows_from_store(str(path), **options)
    try:
        return sorted(tuple(r) for r in read.rows)
    finally:
        read.close()


def test_a_read_in_the_recording_process_sees_its_queued_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_writer, "LINGER_SECONDS", 60.0)  # the background flusher sleeps on
    path = tmp_path / "ledger.db"
    records = ledger()
    shared = shared_record_store(str(path))
    try:
        for bundle in records:
            shared.put_later(bundle)  # type: ignore[attr-defined]
        assert _rows(path) == sorted(tuple(row_of(r)) for r in records)
    finally:
        close_shared_stores()


def test_a_key_prefix_reads_one_key_range_of_the_store(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    records = ledger()
    store = open_record_store(str(path))
    for bundle in records:
        store.put(bundle)
    store.close()
    key = row_of(records[0]).key
    expected = sorted(tuple(row_of(r)) for r in records if row_of(r).key == key)
    assert _rows(path, key=key[:20]) == expected
    result = _cerkit("drift", "--store", str(path), "--key", key[7:19], "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["groups"] == 1


def _downgrade_to_version_1(path: Path) -> None:
    """The store as cerkit wrote it before ``output_hash``: same rows, version-1 layout."""
    db = sqlite3.connect(path)
    db.executescript(
        "DROP INDEX records_drift; ALTER TABLE records DROP COLUMN output_hash;"
        " CREATE INDEX records_execution_key ON records (execution_key, created_at);"
        " PRAGMA user_version=1;"
    )
    db.close()


def test_drift_over_a_store_of_the_previous_schema_matches_the_files(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    records = ledger()
    store = open_record_store(str(path))
    for bundle in records:
        store.put(bundle)
    store.close()
    _downgrade_to_version_1(path)
    from_store = _cerkit("drift", "--store", str(path), "--json")
    from_files = _cerkit("drift", str(_write(tmp_path, records)), "--json")
    assert from_store.returncode == 0, from_store.stderr
    assert json.loads(from_store.stdout) == json.loads(from_files.stdout)
    columns = [r[1] for r in sqlite3.connect(path).execute("PRAGMA table_info(records)")]
    assert "output_hash" in columns  # migrated on open


def test_the_store_rows_give_the_same_timeline_as_the_records(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    records = ledger()
    store = open_record_store(str(path))
    store.put_many(records)  # type: ignore[attr-defined]
    store.close()
    by_hash = {r["certificateHash"]: r for r in records}
    read = rows_from_store(str(path))
    try:
        timeline = analyze(read.rows, read.load)
    finally:
        read.close()
    expected = analyze(sorted((row_of(r) for r in records), key=lambda r: r.time), by_hash.get)
    assert timeline.to_json() == expected.to_json()
