"""Hostile query strings and bodies against a real node: a 4xx with a reason, never a 500.

``str.isdigit()`` is true for ``"²"``, ``"¹"`` and fullwidth digits, which ``int()`` then
refuses (or reads as numbers the client never typed); a start near 2^63 overflowed the
database's 64-bit integers; a lone surrogate in a verified record broke the JSON answer.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from node_checks import sealed

from cerkit.jsonio import dumps
from cerkit.keys import generate_private_key, save_private_key
from cerkit.node.limits import MAX_LOG_INDEX
from cerkit.signing import sign_bundle

HOSTILE_NUMBERS = ["²", "¹", "１２", "٣", "-1", "1e3", " 1", "0x10", "9" * 5000]
QUERIES = [
    *[f"/v1/proof/inclusion?index={n}" for n in HOSTILE_NUMBERS],
    *[f"/v1/proof/inclusion?index=0&treeSize={n}" for n in HOSTILE_NUMBERS],
    *[f"/v1/proof/consistency?from={n}&to=1" for n in HOSTILE_NUMBERS],
    *[f"/v1/proof/consistency?from=0&to={n}" for n in HOSTILE_NUMBERS],
    *[f"/v1/entries?start={n}" for n in HOSTILE_NUMBERS],
    *[f"/v1/entries?start=0&end={n}" for n in HOSTILE_NUMBERS],
    "/v1/entries?start=9223372036854775000",
    "/v1/entries?start=9223372036854775807",
    f"/v1/entries?start={MAX_LOG_INDEX + 1}",
    f"/v1/proof/inclusion?index={MAX_LOG_INDEX + 1}",
]


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from node_checks import Node

    tmp = tmp_path_factory.mktemp("hostile-node")
    key = tmp / "node.key"
    save_private_key(generate_private_key(), key)
    node = Node(tmp, str(tmp / "node.db"), key).start()
    token = node.token()
    headers = {"Authorization": f"Bearer {token}"}
    for bundle in sealed(3, "hostile"):
        assert httpx.post(node.url + "/v1/attest", json=bundle, headers=headers).is_success
    yield node.url
    node.stop()


def test_every_hostile_number_in_a_query_gets_400_bad_request(node_url: str) -> None:
    with httpx.Client(base_url=node_url, timeout=30) as client:
        for query in QUERIES:
            response = client.get(query)
            assert response.status_code == 400, (query, response.text)
            assert response.json()["error"]["code"] == "BAD_REQUEST", query
        # the same endpoints still answer plain ASCII digits
        assert client.get("/v1/proof/inclusion?index=1&treeSize=3").status_code == 200
        assert client.get("/v1/proof/consistency?from=1&to=3").status_code == 200
        assert len(client.get("/v1/entries?start=1").json()["entries"]) == 2
        assert client.get(f"/v1/entries?start={MAX_LOG_INDEX}").json()["entries"] == []


@pytest.mark.parametrize("signed", [False, True], ids=["plain", "with-meta-producer"])
def test_verify_answers_a_surrogate_certificate_hash_with_a_failed_report(
    node_url: str, signed: bool
) -> None:
    bundle = sealed(1, "surrogate")[0]
    if signed:
        bundle = sign_bundle(bundle, generate_private_key())
    bundle["certificateHash"] = "\ud800"
    body = dumps(bundle).encode("ascii")  # "\ud800" written as a JSON escape
    response = httpx.post(
        node_url + "/v1/verify", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["verdict"] == "FAILED"
    assert report["checks"][0]["reason"] == "SCHEMA_ERROR"
