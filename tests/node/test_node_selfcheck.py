"""The node keeps its last signed checkpoint and refuses to sign a log that does not extend it."""

from __future__ import annotations

import sqlite3
import stat
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from node_checks import InProcessNode, assert_refuses, log_size, new_identity, sealed, submissions

from cerkit.checkpoint import Checkpoint, peek_checkpoint, sign_checkpoint
from cerkit.errors import OperationalError
from cerkit.keys import generate_private_key
from cerkit.ledger.sqlite_log import SQLiteLogStore
from cerkit.ledger.sqlite_tokens import SQLiteTokenStore
from cerkit.node.app import Bounds, create_app
from cerkit.node.service import NodeService
from cerkit.node.state import CheckpointFile


def _sql(store: str, *statements: str) -> None:
    """Change the node's database behind its back, as an insider with DB access could."""
    if store.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store, autocommit=True) as conn:
            for sql in statements:
                conn.execute(sql)
        return
    with sqlite3.connect(store) as conn:
        for sql in statements:
            conn.execute(sql)


def _truncate(store: str, size: int) -> list[str]:
    """Delete the newest entry (and lower PostgreSQL's head): the SQL that does it."""
    statements = [f"DELETE FROM log_entries WHERE idx = {size - 1}"]
    if store.startswith("postgresql://"):
        statements.append(f"UPDATE log_head SET size = {size - 1} WHERE id = 1")
    return statements


def _attest(url: str, token: str, bundles: list[dict[str, Any]]) -> list[httpx.Response]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        return [client.post("/v1/attest", json=b) for b in bundles]


def _truncation_and_rewrite_are_refused_at_restart(make_node: Any, store: str | None) -> None:
    node = make_node(store)
    token = node.token()
    assert all(r.status_code == 201 for r in _attest(node.url, token, sealed(10, "t")))
    node.stop()

    # (1) the newest entry deleted, the head lowered: the shrunk tree is refused.
    _sql(node.store, *_truncate(node.store, 10))
    node.start()
    assert_refuses(node.url, "LOG_INCONSISTENT")
    answer = _attest(node.url, token, sealed(1, "late"))[0]
    assert (answer.status_code, answer.json()["error"]["code"]) == (503, "LOG_INCONSISTENT")
    assert "truncated" in node.output()
    metrics = httpx.get(node.url + "/metrics").text
    assert "cerkit_node_log_consistent 0.0" in metrics
    entries = httpx.get(node.url + "/v1/entries").json()["entries"]
    assert len(entries) == 9  # the refused attestation wrote nothing
    node.stop()

    # (2) a rewritten entry, the size unchanged: refused as well.
    forged = "sha256:" + "cd" * 32
    _sql(node.store, f"UPDATE log_entries SET certificate_hash = '{forged}' WHERE idx = 4")
    node.start()
    assert_refuses(node.url, "LOG_INCONSISTENT")
    assert "rewritten" in node.output()


def test_a_truncated_or_rewritten_log_is_refused_at_restart_on_sqlite(make_node: Any) -> None:
    _truncation_and_rewrite_are_refused_at_restart(make_node, None)


@pytest.mark.postgres
def test_a_truncated_or_rewritten_log_is_refused_at_restart_on_postgres(
    make_node: Any, pg_url: str
) -> None:
    _truncation_and_rewrite_are_refused_at_restart(make_node, pg_url)


def test_the_saved_checkpoint_is_a_private_file_that_never_goes_back(tmp_path: Path) -> None:
    key = generate_private_key()
    saved = CheckpointFile(tmp_path / "keys" / "checkpoint.note")
    saved.path.parent.mkdir()
    assert saved.load() is None
    notes = [sign_checkpoint(Checkpoint("o", n, bytes(32)), "o", key) for n in (5, 3, 8)]
    assert [saved.save(note) for note in notes] == [True, False, True]
    assert peek_checkpoint(saved.load() or "").size == 8
    assert stat.S_IMODE(saved.path.stat().st_mode) == 0o600
    saved.path.write_bytes(b"\xff garbage")
    with pytest.raises(OperationalError, match="unreadable"):
        saved.load()


def test_a_node_whose_saved_checkpoint_is_unreadable_or_foreign_refuses_to_sign(
    tmp_path: Path,
) -> None:
    store = SQLiteLogStore(tmp_path / "log.db")
    saved = CheckpointFile(tmp_path / "checkpoint.note")
    NodeService(store, new_identity("first"), saved=saved).commit(submissions(2))
    foreign = NodeService(store, new_identity("first"), saved=saved)  # same name, other key
    assert foreign.problem() is not None and "not signed by a trusted key" in str(foreign.problem())
    saved.path.write_text("not a checkpoint\n")
    broken = NodeService(store, new_identity("first"), saved=saved)
    assert "unreadable" in str(broken.problem())
    with pytest.raises(OperationalError):
        broken.commit(submissions(1, "refused"))
    assert store.size() == 2


def test_an_append_after_entries_vanished_under_a_running_node_is_rolled_back(
    tmp_path: Path,
) -> None:
    store_path = tmp_path / "log.db"
    service = NodeService(SQLiteLogStore(store_path), new_identity("selfcheck"))
    service.commit(submissions(5))
    _sql(str(store_path), *_truncate(str(store_path), 5))
    with pytest.raises(OperationalError) as caught:
        service.commit(submissions(1, "after"))
    assert caught.value.reason == "LOG_INCONSISTENT"
    assert SQLiteLogStore(store_path).size() == 4  # nothing was appended
    assert service.problem() is not None


def test_a_running_node_notices_a_rewrite_stops_signing_and_resumes_once_repaired(
    tmp_path: Path,
) -> None:
    store_path = tmp_path / "log.db"
    saved = CheckpointFile(tmp_path / "checkpoint.note")
    service = NodeService(SQLiteLogStore(store_path), new_identity("selfcheck"), saved=saved)
    service.commit(submissions(6))
    original = service.store.entries(2, 3)[0].certificate_hash
    with InProcessNode(
        create_app(service, SQLiteTokenStore(store_path), Bounds(log_check_seconds=0.1))
    ) as node:
        forged = "sha256:" + "ef" * 32
        _sql(str(store_path), f"UPDATE log_entries SET certificate_hash = '{forged}' WHERE idx = 2")
        deadline = time.monotonic() + 10
        while httpx.get(node.url + "/ready").status_code == 200:
            assert time.monotonic() < deadline, "the rewrite went unnoticed"
            time.sleep(0.05)
        assert_refuses(node.url, "LOG_INCONSISTENT")
        assert (
            'cerkit_node_log_checks_total{outcome="inconsistent"}'
            in httpx.get(node.url + "/metrics").text
        )
        with pytest.raises(OperationalError):
            service.commit(submissions(1, "refused"))
        assert service.store.size() == 6
        _sql(
            str(store_path), f"UPDATE log_entries SET certificate_hash = '{original}' WHERE idx = 2"
        )
        while httpx.get(node.url + "/ready").status_code != 200:
            assert time.monotonic() < deadline + 10, "the node did not resume"
            time.sleep(0.05)
        assert log_size(node.url) == 6
    assert peek_checkpoint(saved.load() or "").size == 6
