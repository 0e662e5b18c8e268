"""The node's HTTP surface: tokens, rejections that change nothing, and the read endpoints."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx
from node_checks import cli, log_size, sealed

from cerkit.keys import KeyDocument
from cerkit.merkle import record_leaf, verify_inclusion
from cerkit.node.audit import open_with_document
from cerkit.node.limits import MAX_BODY_BYTES, MAX_ENTRIES_PAGE


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"] == code


def test_writes_without_a_valid_token_get_401_and_change_nothing(make_node: Any) -> None:
    node = make_node()
    token = node.token()
    bundle = sealed(1)[0]
    with httpx.Client(base_url=node.url) as client:
        assert client.post(
            "/v1/attest", json=sealed(1, "first")[0], headers=_auth(token)
        ).is_success
        before = client.get("/v1/checkpoint").text
        _error(client.post("/v1/attest", json=bundle), 401, "UNAUTHORIZED")
        _error(client.post("/api/attest", json=bundle), 401, "UNAUTHORIZED")
        for header in ("Bearer nope", "Basic " + token, "Bearer " + token + "x", "Bearer"):
            response = client.post("/v1/attest", json=bundle, headers={"Authorization": header})
            _error(response, 401, "UNAUTHORIZED")
        assert client.post("/v1/attest", json=bundle).headers["www-authenticate"] == "Bearer"
        assert client.get("/v1/checkpoint").text == before
        assert client.get(f"/v1/records/{bundle['certificateHash']}").status_code == 404


def test_a_revoked_token_stops_working(make_node: Any) -> None:
    node = make_node()
    token = node.token()
    with httpx.Client(base_url=node.url, headers=_auth(token)) as client:
        assert client.post("/v1/attest", json=sealed(1, "a")[0]).status_code == 201
        listed = cli("node", "token", "list", "--store", node.store, "--json").stdout
        token_id = listed.split('"id": "')[1].split('"')[0]
        assert token_id in token
        cli("node", "token", "revoke", token_id, "--store", node.store)
        time.sleep(1.2)  # TOKEN_CACHE_SECONDS
        _error(client.post("/v1/attest", json=sealed(1, "b")[0]), 401, "UNAUTHORIZED")
        assert log_size(node.url) == 1
    assert "revoked" in cli("node", "token", "list", "--store", node.store).stdout


def test_bad_bodies_get_4xx_json_errors_and_change_nothing(make_node: Any) -> None:
    node = make_node()
    token = node.token()
    good = sealed(1)[0]
    mismatched = {**good, "certificateHash": "sha256:" + "0" * 64}
    tampered = {**good, "snapshot": {**good["snapshot"], "output": "changed"}}
    deep = b"[" * 600 + b"]" * 600
    cases = [
        (b"x" * (MAX_BODY_BYTES + 1), 413, "INPUT_TOO_LARGE"),
        (deep, 400, "INPUT_TOO_DEEP"),
        (b'{"bundleType": ', 400, "MALFORMED_JSON"),
        (b"", 400, "MALFORMED_JSON"),
        (b'{"a": 1, "a": 2}', 400, "MALFORMED_JSON"),
        (b"[1, 2]", 422, "SCHEMA_ERROR"),
        (b'{"bundleType": "cer.ai.execution.v1"}', 422, "SCHEMA_ERROR"),
        (httpx.Request("POST", "/", json=mismatched).read(), 422, "CERTIFICATE_HASH_MISMATCH"),
        (httpx.Request("POST", "/", json=tampered).read(), 422, "OUTPUT_HASH_MISMATCH"),
    ]
    with httpx.Client(base_url=node.url, headers=_auth(token), timeout=60) as client:
        for body, status, code in cases:
            _error(client.post("/v1/attest", content=body, headers=_JSON), status, code)
        assert log_size(node.url) == 0
        assert client.get("/v1/entries").json()["entries"] == []
        assert client.post("/v1/attest", json={"bundle": good}).status_code == 201
        assert log_size(node.url) == 1
        big = sealed(1, "x" * 300_000)[0]  # well over INLINE_PARSE_BYTES: parsed off-loop
        assert client.post("/v1/attest", json=big).status_code == 201
        big_bad = {**big, "certificateHash": "sha256:" + "1" * 64}
        _error(client.post("/v1/attest", json=big_bad), 422, "CERTIFICATE_HASH_MISMATCH")
        assert log_size(node.url) == 2


def test_read_endpoints_serve_proofs_records_and_metrics(make_node: Any) -> None:
    node = make_node()
    token = node.token()
    bundles = sealed(5)
    with httpx.Client(base_url=node.url) as client:
        answers = [client.post("/v1/attest", json=b, headers=_auth(token)).json() for b in bundles]
        nexart_path = client.post("/api/attest", json=bundles[1], headers=_auth(token))
        assert nexart_path.status_code == 200  # NexArt's path; already logged: same answer
        assert nexart_path.json()["signatureB64Url"] == answers[1]["signatureB64Url"]
        document = KeyDocument.from_json(client.get("/.well-known/cerkit-node.json").json())
        nexart = client.get("/.well-known/nexart-node.json").json()
        assert nexart["activeKid"] == answers[0]["attestorKeyId"]
        assert KeyDocument.from_json(nexart).find(nexart["activeKid"]) == document.active
        checkpoint = open_with_document(client.get("/v1/checkpoint").text, document)
        assert checkpoint.size == 5
        cert = bundles[2]["certificateHash"]
        proof = client.get("/v1/proof/inclusion", params={"hash": cert, "treeSize": 5}).json()
        hashes = [base64.b64decode(h) for h in proof["hashes"]]
        verify_inclusion(record_leaf(cert), proof["logIndex"], 5, hashes, checkpoint.root)
        record = client.get(f"/v1/records/{cert}").json()
        assert record["bundle"]["certificateHash"] == cert
        attested = {**bundles[2], "meta": {"attestation": record["attestation"]}}
        report = client.post("/v1/verify", json=attested).json()
        assert (report["verdict"], report["assurance"]) == ("VERIFIED", "logged"), report
        tampered = {**attested, "createdAt": "2000-01-01T00:00:00.000Z"}
        assert client.post("/v1/verify", json=tampered).json()["verdict"] == "FAILED"
        assert record["logIndex"] == answers[2]["logIndex"]
        page = client.get("/v1/entries", params={"start": 1, "end": 10**6}).json()
        assert page["end"] == 1 + MAX_ENTRIES_PAGE
        assert [e["index"] for e in page["entries"]] == [1, 2, 3, 4]
        _error(
            client.get("/v1/proof/inclusion", params={"index": 0, "treeSize": 9}),
            400,
            "BAD_REQUEST",
        )
        _error(
            client.get("/v1/proof/consistency", params={"from": "x", "to": 2}), 400, "BAD_REQUEST"
        )
        _error(client.get("/v1/proof/inclusion", params={"hash": "sha256:00"}), 404, "NOT_FOUND")
        _error(client.get("/v1/records/sha256:00"), 404, "NOT_FOUND")
        _error(client.get("/no/such/path"), 404, "NOT_FOUND")
        wrong_method = client.get("/v1/attest")
        _error(wrong_method, 405, "BAD_REQUEST")
        assert wrong_method.headers["allow"] == "POST"
        assert client.get("/ready").json()["status"] == "ready"
        assert client.get("/version").json()["kid"] == answers[0]["attestorKeyId"]
        metrics = client.get("/metrics").text
        assert 'cerkit_node_attestations_total{outcome="created"} 5.0' in metrics
        assert "cerkit_node_log_size 5.0" in metrics


_JSON = {"Content-Type": "application/json"}


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_record_with_integers_beyond_64_bits_is_attested_and_served_exactly(
    make_node: Any,
) -> None:
    from cerkit.jsonio import dumps, loads
    from cerkit.seal import seal_args

    node = make_node()
    token = node.token()
    bundle = seal_args(
        {
            "executionId": "big",
            "provider": "p",
            "model": "m",
            "prompt": "p",
            "input": {"n": 10**30},
            "output": {"n": -(10**25)},
            "parameters": {"temperature": 0, "maxTokens": 1},
        }
    )
    body = dumps(bundle).encode()
    with httpx.Client(base_url=node.url, headers=_auth(token)) as client:
        response = client.post("/v1/attest", content=body, headers=_JSON)
        assert response.status_code == 201, response.text
        record = loads(client.get(f"/v1/records/{bundle['certificateHash']}").content)
    assert record["bundle"] == bundle
    assert record["bundle"]["snapshot"]["input"]["n"] == 10**30
