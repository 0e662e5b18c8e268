"""The PostgreSQL backends on a real server: record store and log store."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator

import pytest

from cerkit.errors import OperationalError
from cerkit.ledger.base import LogEntry, RecordQuery, Token
from cerkit.seal import seal_args

pytestmark = pytest.mark.postgres

PG_ADMIN = os.environ.get("CERKIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.Error:
        pytest.skip(f"no PostgreSQL at {PG_ADMIN} (run scripts/ensure-postgres.sh)")
    name = f"cerkit_ledger_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _record(i: int, model: str = "gpt-4o", created: str = "2026-01-01T00:00:00.000Z") -> dict:
    return seal_args(
        {
            "executionId": f"pg-{i}",
            "provider": "openai",
            "model": model,
            "prompt": "pkg.mod:fn",
            "input": f"in {i}",
            "output": f"out {i}",
            "parameters": {"temperature": 0, "maxTokens": 1, "big": 10**30},
        },
        created_at=created,
    )


def test_open_store_gives_a_postgres_record_store_that_round_trips(pg_url: str) -> None:
    from cerkit.ledger import open_record_store

    store = open_record_store(pg_url)
    try:
        a, b = _record(1), _record(2, "gpt-4o-mini", "2026-02-01T00:00:00.000Z")
        assert store.put(a) is True
        assert store.put(b) is True
        assert store.put(a) is False
        assert store.count() == 2
        got = store.get(a["certificateHash"])
        assert got == a  # exact, even the integer beyond 64 bits
        assert got is not None and got["snapshot"]["parameters"]["big"] == 10**30
        assert [r["certificateHash"] for r in store.query()] == [
            a["certificateHash"],
            b["certificateHash"],
        ]
        assert [r["snapshot"]["model"] for r in store.query(RecordQuery(model="gpt-4o-mini"))] == [
            "gpt-4o-mini"
        ]
        since = RecordQuery(since="2026-01-15T00:00:00.000Z")
        assert [r["certificateHash"] for r in store.query(since)] == [b["certificateHash"]]
        assert len(list(store.query(RecordQuery(entry_point="pkg.mod:fn", limit=1)))) == 1
        assert store.get("sha256:" + "0" * 64) is None
    finally:
        store.close()


def test_storing_again_merges_meta_and_set_meta_replaces_it(pg_url: str) -> None:
    from cerkit.ledger.postgres import PostgresRecordStore

    store = PostgresRecordStore(pg_url)
    try:
        record = _record(3)
        cert = record["certificateHash"]
        store.put({**record, "meta": {"producer": {"kid": "p"}}})
        store.put({**record, "meta": {"attestation": {"logIndex": 4}}})
        meta = (store.get(cert) or {})["meta"]
        assert meta == {"producer": {"kid": "p"}, "attestation": {"logIndex": 4}}
        store.set_meta(cert, {"tags": ["x"]})
        assert (store.get(cert) or {})["meta"] == {"tags": ["x"]}
        assert store.find(cert[7:15]) == [cert]
        with pytest.raises(OperationalError):
            store.set_meta("sha256:" + "1" * 64, {})
    finally:
        store.close()


def _index_row(bundle: dict) -> tuple[str, str, str, str]:
    from cerkit.execution_key import execution_key

    snapshot = bundle["snapshot"]
    return (bundle["certificateHash"], execution_key(bundle), bundle["createdAt"],
            snapshot["outputHash"])  # fmt: skip


def test_index_rows_stream_each_key_in_time_order(pg_url: str) -> None:
    from cerkit.ledger import open_record_store

    store = open_record_store(pg_url)
    try:
        bundles = [_record(i % 3, created=f"2026-01-0{1 + i}T00:00:00.000Z") for i in range(6)]
        for bundle in bundles:
            store.put(bundle)
        expected = sorted((_index_row(b) for b in bundles), key=lambda r: (r[1], r[2]))
        assert list(store.index_rows()) == expected
        since, until = "2026-01-02T00:00:00.000Z", "2026-01-04T00:00:00.000Z"
        assert list(store.index_rows(since=since, until=until)) == [
            r for r in expected if since <= r[2] <= until
        ]
        key = expected[0][1]
        assert [r for r in store.index_rows(key=key[:12])] == [r for r in expected if r[1] == key]
    finally:
        store.close()


def test_replays_are_left_out_of_the_index_rows_and_read_apart(pg_url: str) -> None:
    from cerkit.ledger import open_record_store

    store = open_record_store(pg_url)
    try:
        executions = [_record(i, created=f"2026-01-0{1 + i}T00:00:00.000Z") for i in range(3)]
        of = executions[0]["certificateHash"]
        replay = {**_record(0, created="2026-01-09T00:00:00.000Z"), "meta": {"replay": {"of": of}}}
        for bundle in [*executions, replay]:
            store.put(bundle)
        expected = sorted((_index_row(b) for b in executions), key=lambda r: (r[1], r[2]))
        assert list(store.index_rows()) == expected
        assert list(store.replay_rows()) == [(*_index_row(replay), of)]
        store.set_meta(executions[1]["certificateHash"], {"replay": {"purpose": "replay"}})
        assert [r[0] for r in store.index_rows()] == [
            r[0] for r in expected if r[0] != executions[1]["certificateHash"]
        ]
        assert sorted(r[4] for r in store.replay_rows()) == ["", of]
    finally:
        store.close()


def test_an_older_postgres_table_is_migrated_on_open(pg_url: str) -> None:
    import psycopg

    from cerkit.ledger import open_record_store

    bundles = [_record(i, created=f"2026-03-0{1 + i}T00:00:00.000Z") for i in range(4)]
    replay = {**_record(9), "meta": {"replay": {"of": bundles[0]["certificateHash"]}}}
    with psycopg.connect(pg_url, autocommit=True) as conn:  # the table before output_hash
        conn.execute(
            "CREATE TABLE records (certificate_hash TEXT PRIMARY KEY, created_at TEXT NOT NULL,"
            " entry_point TEXT, model TEXT, execution_key TEXT, bundle BYTEA NOT NULL)"
        )
        conn.execute("CREATE INDEX records_key ON records (execution_key, created_at)")
        for b in [*bundles, replay]:
            row = _index_row(b)
            conn.execute(
                "INSERT INTO records VALUES (%s, %s, %s, %s, %s, %s)",
                (row[0], row[2], "pkg.mod:fn", "gpt-4o", row[1], json.dumps(b).encode()),
            )
    store = open_record_store(pg_url)
    try:
        expected = sorted((_index_row(b) for b in bundles), key=lambda r: (r[1], r[2]))
        assert list(store.index_rows()) == expected  # the replay is marked and left out
        assert [r[0] for r in store.replay_rows()] == [replay["certificateHash"]]
        assert store.get(bundles[0]["certificateHash"]) == bundles[0]
    finally:
        store.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes")}
        assert "records_drift" in names and "records_key" not in names
        nulls = conn.execute("SELECT count(*) FROM records WHERE output_hash IS NULL")
        assert nulls.fetchone() == (0,)


def _stamp(index: int, cert: str) -> LogEntry:
    return LogEntry(index, cert, "2026-01-01T00:00:00.000Z", "kid", f"sig-{index}")


def test_log_store_sequences_concurrent_appenders_without_gaps(pg_url: str) -> None:
    from cerkit.ledger.postgres_log import PostgresLogStore

    stores = [PostgresLogStore(pg_url) for _ in range(4)]
    try:

        def work(n: int) -> None:
            for batch in range(25):
                items = [(f"sha256:{n}-{batch}-{i}", b"{}") for i in range(8)]
                items.append(("sha256:shared", b"{}"))  # every appender also sends one dup
                stores[n].append(items, _stamp)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        log = stores[0]
        assert log.size() == 4 * 25 * 8 + 1
        entries = log.entries(0, log.size())
        assert [e.index for e in entries] == list(range(log.size()))
        assert len({e.certificate_hash for e in entries}) == log.size()
        shared = log.entry("sha256:shared")
        assert shared is not None and shared.signature == f"sig-{shared.index}"
        again = log.append([("sha256:shared", b"{}")], _stamp)
        assert again.created == [False] and again.entries == [shared]
        assert log.bundle("sha256:shared") == b"{}"
        log.ping()
    finally:
        for s in stores:
            s.close()


def test_token_store_keeps_tokens_hashed_and_revocable(pg_url: str) -> None:
    from cerkit.ledger.postgres_tokens import PostgresTokenStore

    store = PostgresTokenStore(pg_url)
    try:
        store.add_token(Token("id1", "ci", "2026-01-01T00:00:00.000Z"), "hash1")
        assert store.token_for_hash("hash1") == Token("id1", "ci", "2026-01-01T00:00:00.000Z")
        assert store.revoke_token("id1", "2026-01-02T00:00:00.000Z") is True
        assert store.revoke_token("id1", "2026-01-03T00:00:00.000Z") is False
        token = store.token_for_hash("hash1")
        assert token is not None and token.revoked_at == "2026-01-02T00:00:00.000Z"
        assert [t.token_id for t in store.tokens()] == ["id1"]
    finally:
        store.close()


def test_log_store_reconnects_after_the_server_drops_its_connection(pg_url: str) -> None:
    import psycopg

    from cerkit.ledger.postgres_log import PostgresLogStore

    store = PostgresLogStore(pg_url)
    try:
        store.append([("sha256:before", b"{}")], _stamp)
        store.size()
        database = pg_url.rsplit("/", 1)[1]
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            )
        appended = store.append([("sha256:after", b"{}")], _stamp)
        assert appended.entries[0].index == 1 and appended.size == 2
        assert store.size() == 2  # the reader reconnects too
    finally:
        store.close()
