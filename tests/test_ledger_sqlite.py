"""The embedded SQLite record store: atomic, idempotent, indexed, read-your-writes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import cerkit.ledger._sqlite_rows as rows
from cerkit.errors import OperationalError, SchemaError, UsageError
from cerkit.ledger import RecordQuery, open_record_store, store_url
from cerkit.ledger.sqlite import SQLiteRecordStore
from cerkit.seal import seal_args
from cerkit.verify import verify_bundle

ENVIRONMENT = {"schema": "cerkit.environment.v1", "python": {"source": "sys", "version": "3.11"}}


def make(
    n: int, *, entry: str = "app:predict", model: str = "m1", when: str = ""
) -> dict[str, Any]:
    created = when or f"2026-01-01T00:00:{n % 60:02d}.000Z"
    return seal_args(
        {
            "executionId": f"e{n}",
            "provider": "python",
            "model": model,
            "prompt": entry,
            "input": {"args": [n], "kwargs": {}},
            "output": n * 2,
            "timestamp": created,
            "parameters": {"temperature": 0, "maxTokens": 0},
            "execution": {"kind": "python", "entryPoint": entry, "status": "ok"},
            "environment": ENVIRONMENT,
        },
        created_at=created,
    )


@pytest.fixture
def store(tmp_path: Path) -> SQLiteRecordStore:
    opened = SQLiteRecordStore(tmp_path / "ledger.db")
    yield opened
    opened.close()


def test_a_record_comes_back_whole_and_verifies(store: SQLiteRecordStore) -> None:
    bundle = make(1)
    assert store.put(bundle) is True
    back = store.get(bundle["certificateHash"])
    assert back == bundle and verify_bundle(back).ok
    assert store.get("sha256:" + "0" * 64) is None


def test_storing_twice_keeps_one_record_and_merges_meta(store: SQLiteRecordStore) -> None:
    bundle = make(2)
    assert store.put(bundle) is True
    assert store.put({**bundle, "meta": {"producer": {"kid": "k1"}}}) is False
    assert store.put({**bundle, "meta": {"attestation": {"logIndex": 4}}}) is False
    assert store.count() == 1
    assert store.get(bundle["certificateHash"])["meta"] == {
        "producer": {"kid": "k1"}, "attestation": {"logIndex": 4},
    }  # fmt: skip
    store.set_meta(bundle["certificateHash"], {"only": True})
    assert store.get(bundle["certificateHash"])["meta"] == {"only": True}
    with pytest.raises(OperationalError):
        store.set_meta("sha256:" + "1" * 64, {})


def test_unsealed_documents_are_refused(store: SQLiteRecordStore) -> None:
    with pytest.raises(SchemaError):
        store.put({"snapshot": {}})
    with pytest.raises(SchemaError):
        store.put_later({"certificateHash": "sha256:x"})


def test_queries_filter_by_entry_point_model_and_time(store: SQLiteRecordStore) -> None:
    for n in range(6):
        store.put(make(n, entry="app:a" if n % 2 else "app:b", model=f"m{n % 3}"))
    assert [r["snapshot"]["output"] for r in store.query(RecordQuery(entry_point="app:a"))] == [
        2,
        6,
        10,
    ]
    assert len(list(store.query(RecordQuery(model="m0")))) == 2
    window = RecordQuery(since="2026-01-01T00:00:02.000Z", until="2026-01-01T00:00:04.000Z")
    assert [r["snapshot"]["output"] for r in store.query(window)] == [4, 6, 8]
    assert len(list(store.query(RecordQuery(limit=2)))) == 2
    assert [r["createdAt"] for r in store.query()] == sorted(r["createdAt"] for r in store.query())
    cert = make(3, entry="app:a", model="m0")["certificateHash"]
    assert store.find(cert[7:20]) == [cert]


def test_the_execution_key_column_is_filled_by_the_execution_key(store: SQLiteRecordStore) -> None:
    from cerkit.execution_key import execution_key

    bundle = make(7)
    store.put(bundle)
    [found] = store.query(RecordQuery(execution_key=execution_key(bundle)))
    assert found["certificateHash"] == bundle["certificateHash"]


def test_queued_writes_are_read_back_and_flushed_by_close(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    store = SQLiteRecordStore(path)
    bundles = [make(n) for n in range(50)]
    for bundle in bundles:
        store.put_later(bundle)
    assert store.count() == 50  # a read waits for the writer
    more = make(99)
    store.put_later(more)
    store.close()
    reopened = SQLiteRecordStore(path)
    assert reopened.get(more["certificateHash"]) == more
    reopened.close()


def test_environments_are_stored_once(store: SQLiteRecordStore) -> None:
    for n in range(20):
        store.put(make(n))
    db = sqlite3.connect(store.path)
    assert db.execute("SELECT count(*) FROM environments").fetchone()[0] == 1
    assert b"3.11" not in db.execute("SELECT bundle FROM records LIMIT 1").fetchone()[0]


def test_threads_can_write_at_once(store: SQLiteRecordStore) -> None:
    def writer(base: int) -> None:
        for n in range(base, base + 25):
            store.put(make(n, when=f"2026-01-02T00:00:00.{n:03d}Z"))

    threads = [threading.Thread(target=writer, args=(i * 100,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count() == 100


WRITER = textwrap.dedent(
    """
    import sys
    from cerkit.ledger.sqlite import SQLiteRecordStore
    from cerkit.seal import seal_args
    store = SQLiteRecordStore(sys.argv[1])
    big = "x" * 200_000  # records spanning many pages: a torn write would show
    n = 0
    while True:
        n += 1
        bundle = seal_args({"executionId": f"e{n}", "provider": "python", "model": "m",
            "prompt": "p", "input": big, "output": n, "parameters": {"temperature": 0,
            "maxTokens": 0}, "timestamp": "2026-01-01T00:00:00.000Z"},
            created_at="2026-01-01T00:00:00.000Z")
        (store.put if n % 2 else store.put_later)(bundle)
        if n == 5:
            print("ready", flush=True)
    """
)


@pytest.mark.slow
def test_a_killed_writer_never_leaves_a_half_written_record(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    child = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
    time.sleep(0.5)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    store = SQLiteRecordStore(path)
    records = list(store.query())
    assert len(records) >= 5
    assert all(verify_bundle(r).ok for r in records)
    store.close()


def test_store_urls_name_sqlite_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert store_url(str(tmp_path)) == str(tmp_path / "ledger.db")
    assert store_url(f"sqlite:///{tmp_path}/x.db") == str(tmp_path / "x.db")
    assert store_url(str(tmp_path / "y.db")) == str(tmp_path / "y.db")
    monkeypatch.setenv("CERKIT_STORE", str(tmp_path / "env.db"))
    assert store_url(None) == str(tmp_path / "env.db")
    monkeypatch.delenv("CERKIT_STORE")
    monkeypatch.chdir(tmp_path)
    assert store_url(None) == str(tmp_path / ".cerkit" / "ledger.db")
    with pytest.raises(UsageError):
        open_record_store("ftp://example/x")
    opened = open_record_store(f"sqlite:///{tmp_path}/z.db")
    assert opened.count() == 0
    opened.close()


def test_a_store_that_cannot_be_opened_is_an_operational_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OperationalError):
        SQLiteRecordStore(blocker / "ledger.db")
    json.dumps(make(1))


def test_a_forked_child_writes_through_its_own_connection(tmp_path: Path) -> None:
    import multiprocessing

    store = SQLiteRecordStore(tmp_path / "ledger.db")
    store.put_later(make(1))
    assert store.count() == 1
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_child_writes, args=(store,))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    store.put_later(make(3))
    assert store.count() == 3
    store.close()


def _child_writes(store: SQLiteRecordStore) -> None:
    store.put_later(make(2))
    store.flush()


def test_records_with_different_environments_keep_their_own(store: SQLiteRecordStore) -> None:
    first = make(1)
    other = seal_args(
        {**{k: v for k, v in first["snapshot"].items() if k not in ("inputHash", "outputHash")},
         "environment": {"schema": "cerkit.environment.v1", "python": {"version": "3.12"}}},
        created_at=first["createdAt"],
    )  # fmt: skip
    store.put(first)
    store.put(other)
    assert store.get(first["certificateHash"]) == first
    assert store.get(other["certificateHash"]) == other
    assert verify_bundle(store.get(other["certificateHash"])).ok


def _expected_rows(bundles: list[dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    from cerkit.execution_key import execution_key

    rows = [
        (b["certificateHash"], execution_key(b), b["createdAt"], b["snapshot"]["outputHash"])
        for b in bundles
    ]
    return sorted(rows, key=lambda r: (r[1], r[2]))


def test_index_rows_give_each_key_in_time_order_from_the_covering_index(
    store: SQLiteRecordStore,
) -> None:
    bundles = [make(n % 3, when=f"2026-01-0{1 + n % 5}T00:00:00.000Z") for n in range(15)]
    bundles = list({b["certificateHash"]: b for b in bundles}.values())
    assert store.put_many(bundles) == len(bundles)
    assert list(store.index_rows()) == _expected_rows(bundles)
    since, until = "2026-01-02T00:00:00.000Z", "2026-01-04T00:00:00.000Z"
    middle = [b for b in bundles if since <= b["createdAt"] <= until]
    assert list(store.index_rows(since=since, until=until)) == _expected_rows(middle)
    key = _expected_rows(bundles)[0][1]
    assert {r[1] for r in store.index_rows(key=key[:12])} == {key}
    plan = store._db.execute("EXPLAIN QUERY PLAN SELECT certificate_hash, execution_key,"
                             " created_at, output_hash FROM records INDEXED BY records_drift"
                             " WHERE replay_of IS NULL"
                             " ORDER BY execution_key, created_at").fetchall()  # fmt: skip
    assert "COVERING INDEX records_drift" in plan[0][3]


def _replay(bundle: dict[str, Any]) -> dict[str, Any]:
    return {**bundle, "meta": {"replay": {"of": "sha256:" + "f" * 64, "purpose": "replay"}}}


def test_replays_are_left_out_of_the_index_rows_and_read_apart(store: SQLiteRecordStore) -> None:
    executions = [make(n) for n in range(3)]
    replays = [_replay(make(n, when="2026-01-02T00:00:00.000Z")) for n in range(2)]
    store.put_many([*executions, *replays])
    store.put_later(_replay(make(7)))
    assert list(store.index_rows()) == _expected_rows(executions)
    found = list(store.replay_rows())
    assert len(found) == 3 and {r[4] for r in found} == {"sha256:" + "f" * 64}
    assert [r[:4] for r in store.replay_rows(key=found[0][1])] == [found[0][:4]]
    # a mark added later (meta is outside the hash) moves the record out of the rows
    store.set_meta(executions[0]["certificateHash"], {"replay": {"purpose": "replay"}})
    assert list(store.index_rows()) == _expected_rows(executions[1:])
    assert ("",) in {r[4:] for r in store.replay_rows()}
    store.put({**executions[1], "meta": {"replay": {"of": "sha256:ab"}}})  # merged meta
    assert list(store.index_rows()) == _expected_rows(executions[2:])


def test_index_rows_commit_this_store_objects_queued_records_first(tmp_path: Path) -> None:
    store = SQLiteRecordStore(tmp_path / "ledger.db")
    try:
        queued = [make(n) for n in range(10)]
        for bundle in queued:
            store.put_later(bundle)
        assert list(store.index_rows()) == _expected_rows(queued)
    finally:
        store.close()


def test_put_many_is_all_or_nothing(store: SQLiteRecordStore) -> None:
    good = make(1)
    with pytest.raises(SchemaError):
        store.put_many([good, {"snapshot": {}}])
    assert store.count() == 0
    assert store.put_many([good, make(2)]) == 2
    assert store.put_many([good]) == 0


def test_a_row_with_unknown_compact_columns_is_read_from_its_record(
    store: SQLiteRecordStore,
) -> None:
    bundles = [make(n) for n in range(4)]
    store.put_many(bundles)
    store._db.execute("UPDATE records SET output_hash = NULL WHERE rowid = 1")
    store._db.execute("UPDATE records SET execution_key = NULL WHERE rowid = 2")
    # Keys come in no promised order (a NULL key sorts first); each key's rows in time order.
    assert sorted(store.index_rows(), key=lambda r: (r[1], r[2])) == _expected_rows(bundles)


#: The records table as cerkit wrote it before schema version 2 (no output_hash column).
OLD_SCHEMA = """
CREATE TABLE records (certificate_hash TEXT PRIMARY KEY, created_at TEXT NOT NULL,
    entry_point TEXT, model TEXT, provider TEXT, kind TEXT, status TEXT, execution_key TEXT,
    bundle BLOB NOT NULL, meta BLOB, stored_at TEXT NOT NULL);
CREATE TABLE environments (environment_key TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE INDEX records_created_at ON records (created_at);
CREATE INDEX records_execution_key ON records (execution_key, created_at);
PRAGMA user_version=1;
"""


def write_old_store(path: Path, bundles: list[dict[str, Any]]) -> None:
    """A version-1 store: full records inline, the first one without its execution key."""
    from cerkit.execution_key import execution_key

    db = sqlite3.connect(path)
    db.executescript(OLD_SCHEMA)
    for n, b in enumerate(bundles):
        key = execution_key(b) if n else None
        db.execute(
            "INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (b["certificateHash"], b["createdAt"], "app:predict", "m1", "python", "python",
             "ok", key, json.dumps(b).encode(), None, "2026-01-01T00:00:00.000Z"),
        )  # fmt: skip
    db.commit()
    db.close()


def test_a_store_of_the_previous_schema_is_migrated_on_open(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    bundles = [make(n) for n in range(6)]
    write_old_store(path, bundles)
    store = SQLiteRecordStore(path)
    try:
        assert list(store.index_rows()) == _expected_rows(bundles)
        assert store.get(bundles[0]["certificateHash"]) == bundles[0]
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == rows.SCHEMA_VERSION
        names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "records_drift" in names and "records_execution_key" not in names
        nulls = "SELECT count(*) FROM records WHERE execution_key IS NULL OR output_hash IS NULL"
        assert db.execute(nulls).fetchone()[0] == 0
        db.close()
    finally:
        store.close()


def test_replays_stored_by_an_older_cerkit_are_marked_when_the_store_is_migrated(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    bundles = [make(n) for n in range(3)]
    write_old_store(path, bundles)
    db = sqlite3.connect(path)
    meta = json.dumps({"replay": {"of": bundles[0]["certificateHash"]}})
    db.execute("UPDATE records SET meta = ? WHERE rowid = 3", (meta,))
    db.commit()
    db.close()
    store = SQLiteRecordStore(path)
    try:
        assert list(store.index_rows()) == _expected_rows(bundles[:2])
        assert [r[4] for r in store.replay_rows()] == [bundles[0]["certificateHash"]]
    finally:
        store.close()
