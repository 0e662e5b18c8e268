"""SIGKILL under sustained load loses no acknowledged receipt; the log stays consistent."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from typing import Any

import httpx
import pytest
from node_checks import attested, checkpoints_of, sealed

from cerkit.keys import KeyDocument
from cerkit.merkle import record_leaf, verify_consistency, verify_inclusion
from cerkit.node.audit import open_with_document


async def _hammer(url: str, token: str, bundles: list[dict[str, Any]], out: list[Any]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=10) as client:
        for bundle in bundles:
            try:
                response = await client.post("/v1/attest", json=bundle)
            except httpx.HTTPError:
                return  # the node died: nothing acknowledged for this one
            if response.status_code in (200, 201):
                out.append(response.json())


def _load(url: str, token: str, bundles: list[dict[str, Any]], out: list[Any]) -> None:
    async def main() -> None:
        await asyncio.gather(*(_hammer(url, token, bundles[i::16], out) for i in range(16)))

    asyncio.run(main())


def _crash_and_recover(make_node: Any, store: str | None) -> None:
    node = make_node(store)
    token = node.token()
    document = KeyDocument.from_json(httpx.get(node.url + "/.well-known/cerkit-node.json").json())
    bundles = sealed(20_000, "crash")
    acknowledged: list[dict[str, Any]] = []
    loader = threading.Thread(target=_load, args=(node.url, token, bundles, acknowledged))
    loader.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 1500 and time.monotonic() < deadline:
        time.sleep(0.02)
    node.kill()  # SIGKILL in the middle of the load
    loader.join()
    answers = list(acknowledged)
    assert 1500 <= len(answers) < len(bundles)  # killed while requests were in flight
    last = checkpoints_of(answers, document)[-1]

    node.start()  # same store, same key
    with httpx.Client(base_url=node.url, timeout=30) as client:
        now = open_with_document(client.get("/v1/checkpoint").text, document)
        assert now.size >= last.size
        proof = client.get("/v1/proof/consistency", params={"from": last.size, "to": now.size})
        hashes = [base64.b64decode(h) for h in proof.json()["hashes"]]
        verify_consistency(last.size, now.size, last.root, now.root, hashes)
        by_hash = {b["certificateHash"]: b for b in bundles}
        for answer in answers:
            cert, index = answer["certificateHash"], answer["logIndex"]
            got = client.get("/v1/proof/inclusion", params={"index": index, "treeSize": now.size})
            path = [base64.b64decode(h) for h in got.json()["hashes"]]
            verify_inclusion(record_leaf(cert), index, now.size, path, now.root)
        # The receipts handed out before the kill still verify offline as they are.
        from node_checks import assert_logged

        for answer in answers[:: max(1, len(answers) // 50)]:
            assert_logged(attested(by_hash[answer["certificateHash"]], answer), document)


@pytest.mark.slow
def test_sigkill_under_load_loses_no_acknowledged_receipt_on_sqlite(make_node: Any) -> None:
    _crash_and_recover(make_node, None)


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkill_under_load_loses_no_acknowledged_receipt_on_postgres(
    make_node: Any, pg_url: str
) -> None:
    _crash_and_recover(make_node, pg_url)
