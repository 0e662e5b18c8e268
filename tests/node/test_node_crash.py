"""kill -9 campaign: SIGKILL under concurrent load, restart, check; no acknowledged receipt
is ever lost and every checkpoint handed out stays consistent with the log.

Each round starts the real node process (``cerkit node serve`` under uvicorn) on the same
store, key and saved checkpoint, and checks before loading it again:

1. it is ready: its self-check found the stored log consistent with its saved checkpoint;
2. every checkpoint handed out before the kill is consistent with its current checkpoint
   (RFC 9162 consistency proofs from the node, verified here);
3. ``log audit`` holds: entries 0..size-1, every receipt signature, the signed root;
4. every acknowledged receipt is still in the log at its index with the same signature,
   and a sample verifies offline, as handed out, up to ``logged``;
5. records acknowledged before are attested again under load and get the same answer.

The normal test run plays ``CERKIT_CRASH_ROUNDS`` (default 2) rounds per backend; ``make
crash`` plays the long campaign (docs/node.md).
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from node_checks import assert_logged, attested, sealed

from cerkit.checkpoint import Checkpoint
from cerkit.keys import KeyDocument
from cerkit.merkle import verify_consistency
from cerkit.node.audit import audit_node, open_with_document
from cerkit.node.client import NodeClient

ROUNDS = int(os.environ.get("CERKIT_CRASH_ROUNDS", "2"))
#: Fresh records offered per round, and the range of acknowledgements after which it is killed.
PER_ROUND, KILL_AFTER = 1200, (200, 800)
CLIENTS = 16


@dataclass
class Campaign:
    node: Any
    token: str
    document: KeyDocument
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    bundles: dict[str, dict[str, Any]] = field(default_factory=dict)
    unchecked: dict[int, Checkpoint] = field(default_factory=dict)
    checkpoints = 0
    proofs = 0
    kills = 0


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
        shares = [bundles[i::CLIENTS] for i in range(CLIENTS)]
        await asyncio.gather(*(_hammer(url, token, share, out) for share in shares))

    asyncio.run(main())


def _kill_under_load(c: Campaign, number: int, rng: random.Random) -> None:
    fresh = sealed(PER_ROUND, f"crash-{number}")
    again = rng.sample(sorted(c.acknowledged), min(50, len(c.acknowledged)))
    offered = [*(c.bundles[cert] for cert in again), *fresh]
    answers: list[dict[str, Any]] = []
    loader = threading.Thread(target=_load, args=(c.node.url, c.token, offered, answers))
    loader.start()
    target, deadline = rng.randint(*KILL_AFTER), time.monotonic() + 60
    while len(answers) < target and time.monotonic() < deadline and loader.is_alive():
        time.sleep(0.005)
    c.node.kill()  # SIGKILL while requests are in flight
    c.kills += 1
    loader.join()
    assert target <= len(answers) < len(offered), "the kill did not land under load"
    for answer in list(answers):
        cert = answer["certificateHash"]
        if cert in c.acknowledged:  # (5) an acknowledged record answers the same after a crash
            before = c.acknowledged[cert]
            assert (answer["logIndex"], answer["signatureB64Url"]) == (
                before["logIndex"],
                before["signatureB64Url"],
            )
        c.acknowledged.setdefault(cert, answer)
        note = answer["attestation"]["checkpoint"]
        cp = open_with_document(note, c.document)
        assert c.unchecked.setdefault(cp.size, cp) == cp, "two checkpoints for one size"
    c.bundles.update((b["certificateHash"], b) for b in fresh)


def _check_restarted(c: Campaign, rng: random.Random) -> None:
    c.node.start()
    with httpx.Client(base_url=c.node.url, timeout=30) as client:
        assert client.get("/ready").status_code == 200, client.get("/ready").text  # (1)
        now = open_with_document(client.get("/v1/checkpoint").text, c.document)
        for old in c.unchecked.values():  # (2)
            assert now.size >= old.size, "the log shrank across a crash"
            answer = client.get("/v1/proof/consistency", params={"from": old.size, "to": now.size})
            proof = [base64.b64decode(h) for h in answer.json()["hashes"]]
            verify_consistency(old.size, now.size, old.root, now.root, proof)
            c.proofs += 1
        c.checkpoints += len(c.unchecked)
        c.unchecked = {now.size: now}  # later checkpoints are checked against this one
    with NodeClient(c.node.url) as node:
        audit = audit_node(node, c.document, check_bundles=False)  # (3)
        assert audit.ok, audit.to_dict()
        logged = {e["index"]: e for e in node.entries(0, audit.checkpoint.size)}
    for cert, answer in c.acknowledged.items():  # (4)
        entry = logged.get(answer["logIndex"])
        assert entry is not None, f"acknowledged receipt {answer['logIndex']} lost"
        assert (entry["certificateHash"], entry["signatureB64Url"]) == (
            cert,
            answer["signatureB64Url"],
        )
    for cert in rng.sample(sorted(c.acknowledged), min(20, len(c.acknowledged))):
        assert_logged(attested(c.bundles[cert], c.acknowledged[cert]), c.document)


def _campaign(make_node: Any, store: str | None, rounds: int) -> Campaign:
    rng = random.Random(9)
    node = make_node(store)
    document = KeyDocument.from_json(httpx.get(node.url + "/.well-known/cerkit-node.json").json())
    c = Campaign(node, node.token(), document)
    started = time.monotonic()
    for number in range(rounds):
        _kill_under_load(c, number, rng)
        _check_restarted(c, rng)
    print(  # the campaign's numbers, shown with pytest -s (make crash)
        f"\nkill -9 campaign on {'PostgreSQL' if store else 'SQLite'}: {c.kills} kills,"
        f" {len(c.acknowledged)} acknowledged receipts, 0 lost, {c.checkpoints} checkpoints"
        f" consistent ({c.proofs} consistency proofs), {time.monotonic() - started:.1f} s"
    )
    return c


def test_sigkill_under_load_loses_no_acknowledged_receipt_on_sqlite(make_node: Any) -> None:
    c = _campaign(make_node, None, ROUNDS)
    assert c.kills == ROUNDS and len(c.acknowledged) >= ROUNDS * KILL_AFTER[0]


@pytest.mark.postgres
def test_sigkill_under_load_loses_no_acknowledged_receipt_on_postgres(
    make_node: Any, pg_url: str
) -> None:
    c = _campaign(make_node, pg_url, ROUNDS)
    assert c.kills == ROUNDS and len(c.acknowledged) >= ROUNDS * KILL_AFTER[0]
