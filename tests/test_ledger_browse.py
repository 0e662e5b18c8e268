"""RecordStore.browse on both backends: filters, prefix and executionId search, keyset pages."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cerkit.ledger.base import BrowseQuery, RecordStore
from cerkit.ledger.factory import open_record_store
from cerkit.ledger.sqlite import SQLiteRecordStore
from cerkit.seal import seal_args
from test_ledger_postgres import pg_url

__all__ = ["pg_url"]  # the PostgreSQL database fixture, shared with the backend tests


def _record(i: int) -> dict[str, Any]:
    created = f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}.000Z"
    return seal_args(
        {
            "executionId": f"run-{i}",
            "provider": "python",
            "model": "m-even" if i % 2 == 0 else "m-odd",
            "prompt": "app:predict" if i % 3 else "app:train",
            "input": i,
            "output": i * 2,
            "parameters": {"temperature": 0, "maxTokens": 0},
            "execution": {
                "kind": "python",
                "entryPoint": "app:predict" if i % 3 else "app:train",
                "status": "error" if i == 7 else "ok",
            },
        },
        created_at=created,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RecordStore]:
    if request.param == "sqlite":
        opened: RecordStore = open_record_store(tmp_path / "ledger.db")
        yield opened
        opened.close()
        return
    opened = open_record_store(request.getfixturevalue("pg_url"))
    yield opened
    opened.close()


def _fill(store: RecordStore, n: int = 30) -> list[dict[str, Any]]:
    records = [_record(i) for i in range(n)]
    for record in records:
        store.put(record)
    return records


def test_pages_walk_every_record_newest_first_without_overlap(store: RecordStore) -> None:
    records = _fill(store)
    seen: list[str] = []
    before = None
    while True:
        page = store.browse(BrowseQuery(limit=7, before=before))
        if not page:
            break
        seen += [row.certificate_hash for row in page]
        before = (page[-1].created_at, page[-1].certificate_hash)
    assert seen == [r["certificateHash"] for r in reversed(records)]


def test_filters_and_searches_use_the_indexed_columns(store: RecordStore) -> None:
    records = _fill(store)
    odd = store.browse(BrowseQuery(model="m-odd", limit=100))
    assert len(odd) == 15 and {row.model for row in odd} == {"m-odd"}
    train = store.browse(BrowseQuery(entry_point="app:train", limit=100))
    assert {row.entry_point for row in train} == {"app:train"} and len(train) == 10
    failed = store.browse(BrowseQuery(status="error"))
    assert [row.execution_id for row in failed] == ["run-7"]
    by_id = store.browse(BrowseQuery(execution_id="run-12"))
    assert [row.certificate_hash for row in by_id] == [records[12]["certificateHash"]]
    cert = records[3]["certificateHash"]
    assert cert in [r.certificate_hash for r in store.browse(BrowseQuery(prefix=cert[7:19]))]
    window = store.browse(
        BrowseQuery(since="2026-01-01T00:00:05.000Z", until="2026-01-01T00:00:09.000Z")
    )
    assert [row.execution_id for row in window] == [f"run-{i}" for i in (9, 8, 7, 6, 5)]


def test_an_older_sqlite_store_gains_and_fills_the_execution_id_column(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    store = SQLiteRecordStore(path)
    store.put(_record(4))
    store.close()
    db = sqlite3.connect(path)
    db.execute("DROP INDEX records_execution_id")
    db.execute("ALTER TABLE records DROP COLUMN execution_id")
    db.commit()
    db.close()
    reopened = SQLiteRecordStore(path)
    assert [r.execution_id for r in reopened.browse(BrowseQuery())] == ["run-4"]
    assert [r.execution_id for r in reopened.browse(BrowseQuery(execution_id="run-4"))] == ["run-4"]
    reopened.close()


def _run(i: int, output: Any, created: str) -> dict[str, Any]:
    """Records of one execution key (same entry point, input and parameters)."""
    return seal_args(
        {
            "executionId": f"chain-{i}",
            "provider": "python",
            "model": "m",
            "prompt": "app:chain",
            "input": "same",
            "output": output,
            "parameters": {"temperature": 0, "maxTokens": 0},
        },
        created_at=created,
    )


def _verdicts(store: RecordStore) -> list[tuple[str | None, str | None]]:
    rows = store.browse(BrowseQuery(limit=100))
    return [(row.execution_id, row.verdict) for row in reversed(rows)]


def test_each_record_gets_its_output_verdict_even_when_stored_out_of_order(
    store: RecordStore,
) -> None:
    times = [f"2026-03-01T00:00:0{i}.000Z" for i in range(5)]
    outputs = ["a", "a", "b", "b", "a"]
    runs = [_run(i, outputs[i], times[i]) for i in range(5)]
    for i in (0, 1, 3, 4):
        store.put(runs[i])
    assert _verdicts(store) == [
        ("chain-0", "first"),
        ("chain-1", "same"),
        ("chain-3", "changed"),
        ("chain-4", "changed"),
    ]
    store.put(runs[2])  # lands between 1 and 3: 2 changed, 3 is now the same as 2
    assert store.put(runs[2]) is False  # stored again: nothing moves
    assert _verdicts(store) == [
        ("chain-0", "first"),
        ("chain-1", "same"),
        ("chain-2", "changed"),
        ("chain-3", "same"),
        ("chain-4", "changed"),
    ]
    changed = store.browse(BrowseQuery(verdict="changed"))
    assert [row.execution_id for row in changed] == ["chain-4", "chain-2"]


def test_after_reads_the_newer_page_and_still_lists_it_newest_first(store: RecordStore) -> None:
    records = _fill(store, 20)
    first = store.browse(BrowseQuery(limit=5))
    second = store.browse(
        BrowseQuery(limit=5, before=(first[-1].created_at, first[-1].certificate_hash))
    )
    back = store.browse(
        BrowseQuery(limit=5, after=(second[0].created_at, second[0].certificate_hash))
    )
    assert back == first
    newest = [r["certificateHash"] for r in reversed(records)][:5]
    assert [row.certificate_hash for row in back] == newest


def test_an_older_sqlite_store_gains_its_verdicts_and_the_new_drift_index(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    store = SQLiteRecordStore(path)
    for i, output in enumerate("aab"):
        store.put(_run(i, output, f"2026-03-01T00:00:0{i}.000Z"))
    store.close()
    db = sqlite3.connect(path)
    db.execute("DROP INDEX records_verdict")
    db.execute("DROP INDEX records_drift")
    db.execute("ALTER TABLE records DROP COLUMN verdict")
    db.execute(
        "CREATE INDEX records_drift"
        " ON records (execution_key, created_at, output_hash, certificate_hash)"
    )
    db.execute("PRAGMA user_version=3")
    db.commit()
    db.close()
    reopened = SQLiteRecordStore(path)
    assert _verdicts(reopened) == [
        ("chain-0", "first"),
        ("chain-1", "same"),
        ("chain-2", "changed"),
    ]
    reopened.close()
    db = sqlite3.connect(path)
    (sql,) = db.execute("SELECT sql FROM sqlite_master WHERE name='records_drift'").fetchone()
    db.close()
    assert "created_at, certificate_hash, output_hash" in sql


@pytest.mark.postgres
def test_an_older_postgres_table_gains_its_verdicts_and_the_new_drift_index(pg_url: str) -> None:
    import psycopg

    store = open_record_store(pg_url)
    for i, output in enumerate("aab"):
        store.put(_run(i, output, f"2026-03-01T00:00:0{i}.000Z"))
    store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("DROP INDEX records_verdict")
        conn.execute("DROP INDEX records_drift")
        conn.execute("ALTER TABLE records DROP COLUMN verdict")
        conn.execute(
            "CREATE INDEX records_drift ON records (execution_key, created_at)"
            " INCLUDE (output_hash, certificate_hash)"
        )
    reopened = open_record_store(pg_url)
    assert _verdicts(reopened) == [
        ("chain-0", "first"),
        ("chain-1", "same"),
        ("chain-2", "changed"),
    ]
    reopened.put(_run(3, "b", "2026-03-01T00:00:03.000Z"))
    assert _verdicts(reopened)[-1] == ("chain-3", "same")
    reopened.close()
    with psycopg.connect(pg_url) as conn:
        (definition,) = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'records_drift'"
        ).fetchone()
    assert (
        "(execution_key, created_at, certificate_hash) INCLUDE (output_hash, replay_of)"
        in definition
    )


def test_verdicts_written_in_batches_in_any_order_match_a_recount(tmp_path: Path) -> None:
    import random

    store = SQLiteRecordStore(tmp_path / "ledger.db")
    runs = [
        seal_args(
            {
                "executionId": f"mix-{i}",
                "provider": "python",
                "model": "m",
                "prompt": "app:mix",
                "input": i % 4,  # four execution keys
                "output": (i // 7) % 2,
                "parameters": {"temperature": 0, "maxTokens": 0},
            },
            created_at=f"2026-04-01T00:00:{i // 3:02d}.000Z",  # ties in createdAt
        )
        for i in range(120)
    ]
    order = random.Random(7).sample(runs, len(runs))
    store.put_many(runs[:40])  # in time order: the batch's fast path
    store.put_many(order[:60])  # shuffled, with records already stored
    for record in order[60:]:
        store.put_later(record)  # the recorder's queued batches
    store.flush()
    recount = sqlite3.connect(tmp_path / "ledger.db")
    expected = dict(
        recount.execute(
            "SELECT certificate_hash, CASE WHEN row_number() OVER w = 1 THEN 'first'"
            " WHEN lag(output_hash) OVER w = output_hash THEN 'same' ELSE 'changed' END"
            " FROM records WINDOW w AS (PARTITION BY execution_key"
            " ORDER BY created_at, certificate_hash)"
        ).fetchall()
    )
    stored = dict(recount.execute("SELECT certificate_hash, verdict FROM records").fetchall())
    recount.close()
    store.close()
    assert len(stored) == 120 and stored == expected
