"""The node's logic without HTTP: service, group commit, tokens, embedded node."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import orjson
import pytest
from node_checks import new_identity, sealed, submissions

from cerkit.errors import CerkitError, InvalidRecordError, OperationalError
from cerkit.ledger.sqlite_log import SQLiteLogStore
from cerkit.ledger.sqlite_tokens import SQLiteTokenStore
from cerkit.merkle import record_leaf, verify_inclusion
from cerkit.node.audit import open_with_document
from cerkit.node.batcher import Batcher
from cerkit.node.embedded import open_embedded_node
from cerkit.node.service import NodeService
from cerkit.node.submission import parse_submission
from cerkit.node.tokens import Authenticator, bearer_secret, create_token, revoke_token
from cerkit.verify import verify_bundle


def test_parse_submission_accepts_a_bundle_or_a_wrapped_one_and_names_the_failure() -> None:
    bundle = sealed(1)[0]
    assert parse_submission(orjson.dumps(bundle)).certificate_hash == bundle["certificateHash"]
    wrapped = parse_submission(orjson.dumps({"bundle": bundle}))
    assert wrapped.certificate_hash == bundle["certificateHash"]
    bad = {**bundle, "createdAt": "2000-01-01T00:00:00.000Z"}
    with pytest.raises(InvalidRecordError) as caught:
        parse_submission(orjson.dumps(bad))
    assert caught.value.reason == "CERTIFICATE_HASH_MISMATCH"


def test_a_batch_with_duplicates_gets_one_index_per_record(tmp_path: Path) -> None:
    service = NodeService(SQLiteLogStore(tmp_path / "log.db"), new_identity())
    first, second = submissions(2)
    results = service.commit([first, second, first])
    assert [r.entry.index for r in results] == [0, 1, 0]
    assert [r.created for r in results] == [True, True, False]
    assert results[0].entry == results[2].entry
    again = service.commit([second])[0]
    assert (again.entry, again.created, again.tree_size) == (results[1].entry, False, 2)


def test_two_services_on_one_store_share_one_log_like_replicas(tmp_path: Path) -> None:
    identity = new_identity()
    a = NodeService(SQLiteLogStore(tmp_path / "log.db"), identity)
    b = NodeService(SQLiteLogStore(tmp_path / "log.db"), identity)
    subs = submissions(30)
    a.commit(subs[:10])
    b_results = b.commit(subs[10:20])  # b catches up on a's 10 entries first
    assert [r.entry.index for r in b_results] == list(range(10, 20))
    a.commit(subs[20:])
    assert b.checkpoint() == a.checkpoint()
    checkpoint = open_with_document(b.checkpoint(), identity.document)
    assert checkpoint.size == 30
    for index in (0, 15, 29):
        leaf = record_leaf(subs[index].certificate_hash)
        verify_inclusion(leaf, index, 30, b.inclusion(index, 30), checkpoint.root)
    # A fresh start rebuilds the same tree from the store.
    c = NodeService(SQLiteLogStore(tmp_path / "log.db"), identity)
    assert c.root(30) == checkpoint.root
    with pytest.raises(CerkitError):
        c.inclusion(0, 31)


def test_group_commit_batches_concurrentsubmissions(tmp_path: Path) -> None:
    service = NodeService(SQLiteLogStore(tmp_path / "log.db"), new_identity())
    batches: list[int] = []

    async def main() -> list[int]:
        batcher = Batcher(service, observe=lambda size, _: batches.append(size))
        batcher.start()
        try:
            results = await asyncio.gather(*(batcher.submit(s) for s in submissions(200)))
        finally:
            await batcher.stop()
        return [r.entry.index for r in results]

    indices = asyncio.run(main())
    assert sorted(indices) == list(range(200))
    assert sum(batches) == 200
    assert max(batches) > 1  # concurrent requests shared a transaction
    assert len(batches) < 200


def test_a_failing_store_fails_every_waiter_and_hands_out_no_receipt(tmp_path: Path) -> None:
    store = SQLiteLogStore(tmp_path / "log.db")
    service = NodeService(store, new_identity())
    store.close()

    async def main() -> None:
        batcher = Batcher(service)
        batcher.start()
        try:
            with pytest.raises(OperationalError):
                await batcher.submit(submissions(1)[0])
        finally:
            await batcher.stop()

    asyncio.run(main())


def test_tokens_are_stored_hashed_and_cached_briefly(tmp_path: Path) -> None:
    store = SQLiteTokenStore(tmp_path / "log.db")
    new = create_token(store, "ci", "2026-01-01T00:00:00.000Z")
    raw = (tmp_path / "log.db").read_bytes() + (tmp_path / "log.db-wal").read_bytes()
    assert new.secret.encode() not in raw
    now = [0.0]
    auth = Authenticator(store, clock=lambda: now[0])
    assert auth.cached(new.secret) is None
    assert auth.check(new.secret) is True
    revoke_token(store, new.token.token_id, "2026-01-02T00:00:00.000Z")
    assert auth.cached(new.secret) is True  # still cached...
    now[0] = 1.5
    assert auth.cached(new.secret) is None  # ...but only briefly
    assert auth.check(new.secret) is False
    with pytest.raises(CerkitError):
        revoke_token(store, new.token.token_id, "2026-01-03T00:00:00.000Z")
    assert bearer_secret("Bearer abc") == "abc"
    assert bearer_secret("bearer  abc ") == "abc"
    assert bearer_secret("Basic abc") is None
    assert bearer_secret("Bearer " + "x" * 1000) is None


def test_the_embedded_node_attests_to_logged_on_the_local_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bundle = sealed(1, "embedded")[0]
    with open_embedded_node() as node:
        attested = node.attest(bundle)
        report = verify_bundle(attested, trust=node.trust())
        document = node.key_document()
    assert report.assurance.label == "logged", report.to_dict()
    assert attested["certificateHash"] == bundle["certificateHash"]
    assert (tmp_path / ".cerkit" / "ledger.db").exists()
    assert (tmp_path / ".cerkit" / "node.key").stat().st_mode & 0o077 == 0
    assert json.loads(json.dumps(document))["nodeId"] == "cerkit-local"
    with open_embedded_node() as node:  # reopened: same log, same index
        assert node.attest(bundle)["meta"]["attestation"]["logIndex"] == 0


def test_stopping_the_batcher_answers_what_is_already_queued(tmp_path: Path) -> None:
    service = NodeService(SQLiteLogStore(tmp_path / "log.db"), new_identity())

    async def main() -> list[int]:
        batcher = Batcher(service, max_batch=8)
        batcher.start()
        waiting = [asyncio.ensure_future(batcher.submit(s)) for s in submissions(64, "drain")]
        await asyncio.sleep(0)  # queued, not yet committed
        await batcher.stop()
        done = await asyncio.wait_for(asyncio.gather(*waiting), timeout=10)
        return [r.entry.index for r in done]

    assert sorted(asyncio.run(main())) == list(range(64))


def test_ready_answers_503_with_a_json_error_when_the_store_is_gone(tmp_path: Path) -> None:
    import httpx

    from cerkit.node.app import create_app

    store = SQLiteLogStore(tmp_path / "log.db")
    app = create_app(NodeService(store, new_identity()), SQLiteTokenStore(tmp_path / "log.db"))

    async def get(path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            return await client.get(path)

    assert asyncio.run(get("/ready")).json()["status"] == "ready"
    store.close()
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"log.db{suffix}").unlink(missing_ok=True)
    (tmp_path / "log.db").write_bytes(b"not a database" * 100)  # the disk went bad
    response = asyncio.run(get("/ready"))
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "STORE_ERROR"
    assert asyncio.run(get("/health")).status_code == 200


def test_a_group_commits_whole_in_order_and_a_large_one_commits_alone(tmp_path: Path) -> None:
    service = NodeService(SQLiteLogStore(tmp_path / "log.db"), new_identity())
    batches: list[int] = []

    async def main() -> list[list[int]]:
        batcher = Batcher(service, max_batch=8, observe=lambda size, _: batches.append(size))
        batcher.start()
        try:
            groups = [submissions(n, f"group{n}") for n in (3, 20, 1, 5)]
            answers = await asyncio.gather(*(batcher.submit_group(g) for g in groups))
            assert await batcher.submit_group([]) == []
        finally:
            await batcher.stop()
        for group, answer in zip(groups, answers, strict=True):
            assert [a.entry.certificate_hash for a in answer] == [s.certificate_hash for s in group]
        return [[a.entry.index for a in answer] for answer in answers]

    indices = asyncio.run(main())
    assert sorted(i for group in indices for i in group) == list(range(29))
    for group in indices:  # one transaction each: consecutive indices
        assert group == list(range(group[0], group[0] + len(group)))
    assert 20 in batches  # larger than max_batch: committed alone, never split
    assert max(b for b in batches if b != 20) <= 8
