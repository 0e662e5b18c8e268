"""Properties of the node's HTTP endpoints, through the real Starlette app (httpx TestClient).

Whatever the query string, path or body, the node answers below 500, every 4xx is the
documented ``{"error": {"code", "message"}}`` body, and a refused write changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from starlette.testclient import TestClient
from strategies import json_values, snapshot_args

from cerkit.jsonio import dumps
from cerkit.seal import seal_args
from node_api import build_app  # fuzz/node_api.py

JSON = {"Content-Type": "application/json"}
NUMBER_PARAMS = ("index", "treeSize", "from", "to", "start", "end")
GET_PATHS = ("/v1/proof/inclusion", "/v1/proof/consistency", "/v1/entries", "/v1/checkpoint")
hostile_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
numbers_as_text = st.one_of(
    hostile_text,
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["²", "¹", "１２", "٣", "9223372036854775000", "1e3", "0x1", " 1", "+1"]),
)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    app, token, bundles = build_app(tmp_path_factory.mktemp("prop-node"))
    with TestClient(app) as client:
        for bundle in bundles:
            answer = client.post("/v1/attest", content=dumps(bundle), headers=_auth(token))
            assert answer.status_code == 201, answer.text
        yield client, token


def _auth(token: str) -> dict[str, str]:
    return {**JSON, "Authorization": f"Bearer {token}"}


def _answered_below_500(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["code"], str) and isinstance(error["message"], str)


@given(
    path=st.sampled_from(GET_PATHS),
    params=st.dictionaries(st.sampled_from((*NUMBER_PARAMS, "hash")), numbers_as_text),
)
@example(path="/v1/entries", params={"start": "9223372036854775000"})
@example(path="/v1/proof/inclusion", params={"index": "²"})
@example(path="/v1/proof/consistency", params={"from": "１", "to": "2"})
def test_any_query_string_gets_an_answer_below_500(
    node: tuple[TestClient, str], path: str, params: dict[str, str]
) -> None:
    client, _ = node
    _answered_below_500(client.get(path, params=params))


@given(hostile_text.filter(lambda s: s not in ("", ".", "..")))
@example("sha256:" + "0" * 64)
@example("%ED%A0%80")
def test_any_record_path_gets_an_answer_below_500(node: tuple[TestClient, str], ref: str) -> None:
    client, _ = node
    _answered_below_500(client.get("/v1/records/" + quote(ref, safe="%")))


bodies = st.one_of(
    st.binary(max_size=200),
    json_values().map(lambda v: dumps(v).encode()),
    snapshot_args().map(lambda a: dumps(seal_args(a)).encode()),
    snapshot_args().map(lambda a: dumps({**seal_args(a), "certificateHash": "\ud800"}).encode()),
)


@given(body=bodies)
def test_any_body_to_verify_gets_a_report_or_a_4xx(
    node: tuple[TestClient, str], body: bytes
) -> None:
    client, _ = node
    response = client.post("/v1/verify", content=body, headers=JSON)
    _answered_below_500(response)
    if response.status_code == 200:
        assert response.json()["verdict"] in ("VERIFIED", "FAILED", "ERROR")


@given(body=st.one_of(bodies, json_values().map(lambda v: dumps({"bundle": v}).encode())))
def test_any_attest_body_is_logged_or_refused_without_changing_the_log(
    node: tuple[TestClient, str], body: bytes
) -> None:
    client, token = node
    before = client.get("/v1/checkpoint").text.split("\n")[1]
    response = client.post("/v1/attest", content=body, headers=_auth(token))
    _answered_below_500(response)
    after = client.get("/v1/checkpoint").text.split("\n")[1]
    if response.status_code >= 400 or response.json()["created"] is False:
        assert after == before
    else:
        assert int(after) == int(before) + 1
