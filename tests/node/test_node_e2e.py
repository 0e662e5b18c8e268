"""End to end: a real node (uvicorn subprocess), 1,000 records from 16 clients, offline proofs."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from node_checks import (
    assert_consistent_chain,
    assert_logged,
    attest_concurrently,
    attested,
    checkpoints_of,
    log_size,
    sealed,
)

from cerkit.keys import KeyDocument
from cerkit.merkle import record_leaf, verify_inclusion
from cerkit.node.audit import open_with_document

RECORDS = 1000
CLIENTS = 16


def _e2e_core(make_node: Any, store: str | None) -> None:
    node = make_node(store)
    token = node.token()
    # The verifier later trusts nothing but this saved key document.
    saved_document = KeyDocument.from_json(
        httpx.get(node.url + "/.well-known/cerkit-node.json").json()
    )
    bundles = sealed(RECORDS)
    answers = attest_concurrently(node.url, token, bundles, CLIENTS)
    assert len(answers) == RECORDS
    by_hash = {a["certificateHash"]: a for a in answers}
    assert sorted(a["logIndex"] for a in answers) == list(range(RECORDS))
    for bundle in bundles:
        assert_logged(attested(bundle, by_hash[bundle["certificateHash"]]), saved_document)
    checkpoints = checkpoints_of(answers, saved_document)
    assert checkpoints[-1].size == RECORDS
    assert assert_consistent_chain(node.url, checkpoints) == len(checkpoints) - 1
    # Idempotent: attesting again gives the same index and the same signed receipt.
    again = attest_concurrently(node.url, token, bundles[:50], 4)
    for answer in again:
        first = by_hash[answer["certificateHash"]]
        assert answer["created"] is False
        assert answer["logIndex"] == first["logIndex"]
        assert answer["signatureB64Url"] == first["signatureB64Url"]
    assert log_size(node.url) == RECORDS


@pytest.mark.slow
def test_thousand_records_from_sixteen_clients_verify_offline_on_sqlite(make_node: Any) -> None:
    _e2e_core(make_node, None)


@pytest.mark.slow
@pytest.mark.postgres
def test_thousand_records_from_sixteen_clients_verify_offline_on_postgres(
    make_node: Any, pg_url: str
) -> None:
    _e2e_core(make_node, pg_url)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_replicas_sharing_postgres_produce_one_consistent_log(
    make_node: Any, pg_url: str
) -> None:
    first, second = make_node(pg_url, "replica-a"), make_node(pg_url, "replica-b")
    token = first.token()
    document = KeyDocument.from_json(httpx.get(first.url + "/.well-known/cerkit-node.json").json())
    bundles = sealed(600, "replicas")
    answers_a: list[dict[str, Any]] = []
    answers_b: list[dict[str, Any]] = []
    import threading

    workers = [
        threading.Thread(
            target=lambda: answers_a.extend(attest_concurrently(first.url, token, bundles[::2], 8))
        ),
        threading.Thread(
            target=lambda: answers_b.extend(
                attest_concurrently(second.url, token, bundles[1::2], 8)
            )
        ),
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    answers = answers_a + answers_b
    # One log: every index 0..599 exactly once, whichever replica handed it out.
    assert sorted(a["logIndex"] for a in answers) == list(range(600))
    by_hash = {a["certificateHash"]: a for a in answers}
    for bundle in bundles:
        assert_logged(attested(bundle, by_hash[bundle["certificateHash"]]), document)
    # Checkpoints from both replicas form one chain, provable by either replica.
    checkpoints = checkpoints_of(answers, document)
    assert_consistent_chain(first.url, checkpoints)
    assert_consistent_chain(second.url, checkpoints)
    assert (
        httpx.get(first.url + "/v1/checkpoint").text
        == httpx.get(second.url + "/v1/checkpoint").text
    )
    # A replica answers for a record the other one logged a moment ago.
    late = sealed(1, "late")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.post(second.url + "/v1/attest", json=late, headers=headers).status_code == 201
    cert = late["certificateHash"]
    proof = httpx.get(first.url + "/v1/proof/inclusion", params={"hash": cert}).json()
    assert (proof["logIndex"], proof["treeSize"]) == (600, 601)
    now = open_with_document(httpx.get(first.url + "/v1/checkpoint").text, document)
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    verify_inclusion(record_leaf(cert), 600, 601, hashes, now.root)
    assert httpx.get(f"{first.url}/v1/records/{cert}").json()["logIndex"] == 600
