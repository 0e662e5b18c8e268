"""``POST /v1/attest/batch`` over real HTTP (the node as a uvicorn subprocess), on SQLite and
PostgreSQL: each record answered alone, a bad one failing alone, atomic batches, the limit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from node_checks import assert_logged, attested, log_size, sealed

from cerkit.keys import KeyDocument
from cerkit.node.limits import MAX_ATTEST_BATCH

_JSON = {"Content-Type": "application/json"}


@pytest.fixture(params=["sqlite", "postgres"])
def node(request: pytest.FixtureRequest, make_node: Any) -> Any:
    """A running node on each backend (PostgreSQL: a fresh database)."""
    if request.param == "postgres":
        return make_node(request.getfixturevalue("pg_url"))
    return make_node()


def _client(node: Any) -> httpx.Client:
    headers = {"Authorization": f"Bearer {node.token()}"}
    return httpx.Client(base_url=node.url, headers=headers, timeout=120)


def _tampered(bundle: dict[str, Any]) -> dict[str, Any]:
    return {**bundle, "snapshot": {**bundle["snapshot"], "output": "changed"}}


def test_each_record_is_answered_in_order_and_a_bad_one_fails_alone(node: Any) -> None:
    bundles = sealed(6, "batch")
    document = KeyDocument.from_json(httpx.get(node.url + "/.well-known/cerkit-node.json").json())
    bad = _tampered(sealed(1, "tampered")[0])
    records: list[Any] = [*bundles[:2], bad, "not a record", *bundles[2:]]
    with _client(node) as client:
        answer = client.post("/v1/attest/batch", json={"records": records})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["count"], body["created"], body["existing"], body["failed"]) == (8, 6, 0, 2)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(8))
    assert results[2]["error"]["code"] == "OUTPUT_HASH_MISMATCH"
    assert results[3]["error"]["code"] == "SCHEMA_ERROR"
    good = [r for r in results if "error" not in r]
    assert [r["certificateHash"] for r in good] == [b["certificateHash"] for b in bundles]
    assert sorted(r["logIndex"] for r in good) == list(range(6))
    assert log_size(node.url) == 6
    for bundle, result in zip(bundles, good, strict=True):
        assert result["created"] is True
        assert_logged(attested(bundle, result), document)


def test_an_atomic_batch_with_one_bad_record_logs_nothing(node: Any) -> None:
    bundles = sealed(4, "atomic")
    with _client(node) as client:
        assert client.post("/v1/attest", json=sealed(1, "first")[0]).status_code == 201
        before = client.get("/v1/checkpoint").text
        records = [*bundles[:3], _tampered(bundles[3])]
        for answer in (
            client.post("/v1/attest/batch", params={"atomic": "true"}, json=records),
            client.post("/v1/attest/batch", json={"records": records, "atomic": True}),
        ):
            assert answer.status_code == 422, answer.text
            error = answer.json()["error"]
            assert error["code"] == "BATCH_REJECTED"
            assert error["failures"] == [
                {
                    "index": 3,
                    "code": "OUTPUT_HASH_MISMATCH",
                    "message": error["failures"][0]["message"],
                }
            ]
        assert log_size(node.url) == 1
        assert client.get("/v1/checkpoint").text == before
        for bundle in bundles:
            assert client.get(f"/v1/records/{bundle['certificateHash']}").status_code == 404
        # The same batch without the bad record is logged whole.
        answer = client.post("/v1/attest/batch?atomic=1", json=bundles[:3])
        assert answer.status_code == 200, answer.text
        assert answer.json()["created"] == 3
    assert log_size(node.url) == 4


def test_a_batch_of_the_limit_is_logged_and_one_more_record_is_refused(node: Any) -> None:
    bundles = sealed(MAX_ATTEST_BATCH + 1, "limit")
    with _client(node) as client:
        over = client.post("/v1/attest/batch", json=bundles)
        assert over.status_code == 413, over.text
        assert over.json()["error"]["code"] == "INPUT_TOO_LARGE"
        assert str(MAX_ATTEST_BATCH) in over.json()["error"]["message"]
        assert log_size(node.url) == 0
        full = client.post("/v1/attest/batch", json=bundles[:MAX_ATTEST_BATCH])
        assert full.status_code == 200, full.text
        assert full.json()["created"] == MAX_ATTEST_BATCH
    assert log_size(node.url) == MAX_ATTEST_BATCH


def test_records_already_logged_get_their_receipt_again(make_node: Any) -> None:
    node = make_node()
    bundles = sealed(3, "again")
    with _client(node) as client:
        first = client.post("/v1/attest", json=bundles[1]).json()
        body = client.post("/v1/attest/batch", json=[*bundles, bundles[0]]).json()
    assert (body["created"], body["existing"]) == (2, 2)
    again = body["results"][1]
    assert again["created"] is False
    assert (again["logIndex"], again["signatureB64Url"]) == (
        first["logIndex"],
        first["signatureB64Url"],
    )
    assert body["results"][3]["logIndex"] == body["results"][0]["logIndex"]
    assert log_size(node.url) == 3


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_bad_batches_are_refused_and_change_nothing(make_node: Any) -> None:
    node = make_node()
    bundle = sealed(1, "bad")[0]
    with _client(node) as client:
        _error(httpx.post(node.url + "/v1/attest/batch", json=[bundle]), 401, "UNAUTHORIZED")
        cases: list[tuple[dict[str, Any], int, str]] = [
            ({"json": []}, 400, "BAD_REQUEST"),
            ({"json": {"records": [bundle], "atomc": True}}, 400, "BAD_REQUEST"),
            ({"json": {"records": [bundle], "atomic": "yes"}}, 400, "BAD_REQUEST"),
            ({"json": [bundle], "params": {"atomic": "maybe"}}, 400, "BAD_REQUEST"),
            (
                {"json": {"records": [bundle], "atomic": False}, "params": {"atomic": "true"}},
                400,
                "BAD_REQUEST",
            ),
            ({"json": bundle}, 400, "BAD_REQUEST"),
            ({"content": b"[", "headers": _JSON}, 400, "MALFORMED_JSON"),
            (
                {"content": b"[]", "headers": {"Content-Type": "text/plain"}},
                415,
                "UNSUPPORTED_MEDIA_TYPE",
            ),
        ]
        for kwargs, status, code in cases:
            _error(client.post("/v1/attest/batch", **kwargs), status, code)
    assert log_size(node.url) == 0
