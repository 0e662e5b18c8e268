"""``GET /openapi.json`` documents exactly the routes the node serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from node_checks import new_identity
from schemathesis.core.failures import Failure, FailureGroup
from starlette.routing import Route

from cerkit.ledger.sqlite_log import SQLiteLogStore
from cerkit.ledger.sqlite_tokens import SQLiteTokenStore
from cerkit.node.app import ATTEST_PATHS, create_app
from cerkit.node.openapi import openapi_document
from cerkit.node.portal import node_portal
from cerkit.node.service import NodeService

_METHODS = {"get", "post", "put", "patch", "delete"}


def _served(tmp: Path) -> set[tuple[str, str]]:
    """Every (path, method) the app routes, read from the app itself."""
    identity = new_identity("doc")
    store = tmp / "log.db"
    service = NodeService(SQLiteLogStore(store), identity)
    app = create_app(service, SQLiteTokenStore(store))
    served = {(path, "post") for path in ATTEST_PATHS}
    pages = {route.path for route in node_portal(service).routes()}  # HTML, docs/portal.md
    for route in app.app.routes:
        if getattr(route, "path", None) in pages:
            continue
        assert isinstance(route, Route)
        served |= {(route.path, m.lower()) for m in route.methods or () if m != "HEAD"}
    return served


def test_every_route_is_documented_and_every_documented_operation_is_served(
    tmp_path: Path,
) -> None:
    document = openapi_document()
    documented = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in _METHODS
    }
    assert documented == _served(tmp_path)


def test_every_operation_documents_its_answers_and_every_reference_resolves() -> None:
    document = openapi_document()
    components = document["components"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (path, method)
            if method == "post":
                assert {"400", "408", "413", "415", "503"} <= set(responses), path
                assert operation["requestBody"]["content"]["application/json"]
            for answer in responses.values():
                if "$ref" in answer:
                    assert answer["$ref"].rsplit("/", 1)[1] in components["responses"]
    text = repr(document)
    for name in components["schemas"]:
        assert f"#/components/schemas/{name}" in text, f"unused schema {name}"


def test_the_node_serves_its_document_and_schemathesis_loads_it(make_node: Any) -> None:
    node = make_node()
    served = httpx.get(node.url + "/openapi.json").json()
    assert served == openapi_document()
    schema = schemathesis.openapi.from_dict(served)
    operations = {(op.path, op.method) for op in (r.ok() for r in schema.get_all_operations())}
    assert len(operations) == len(_served_paths(served))


def _served_paths(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p, m) for p, item in document["paths"].items() for m in item if m in _METHODS]


def test_every_answer_of_a_real_node_matches_the_document(make_node: Any) -> None:
    from node_checks import sealed

    node = make_node()
    auth = {"Authorization": f"Bearer {node.token()}"}
    json_type = {"Content-Type": "application/json"}
    good, other = sealed(2, "doc")
    bad = {**good, "certificateHash": "sha256:" + "0" * 64}
    cert = good["certificateHash"]
    calls: list[tuple[str, str, str, dict[str, Any], int]] = [
        ("POST", "/v1/attest", "/v1/attest", {"json": good, "headers": auth}, 201),
        ("POST", "/api/attest", "/api/attest", {"json": good, "headers": auth}, 200),
        ("POST", "/v1/attest", "/v1/attest", {"json": other}, 401),
        ("POST", "/v1/attest", "/v1/attest", {"content": b"{}", "headers": auth}, 415),
        ("POST", "/v1/attest", "/v1/attest", {"json": bad, "headers": auth}, 422),
        (
            "POST",
            "/v1/attest",
            "/v1/attest",
            {"content": b"{", "headers": {**auth, **json_type}},
            400,
        ),
        (
            "POST",
            "/v1/attest/batch",
            "/v1/attest/batch",
            {"json": [good, bad], "headers": auth},
            200,
        ),
        (
            "POST",
            "/v1/attest/batch",
            "/v1/attest/batch",
            {"json": {"records": [bad], "atomic": True}, "headers": auth},
            422,
        ),
        ("POST", "/v1/attest/batch", "/v1/attest/batch", {"json": [], "headers": auth}, 400),
        ("POST", "/v1/verify", "/v1/verify", {"json": good}, 200),
        ("POST", "/v1/verify", "/v1/verify", {"content": b"{}"}, 415),
        ("GET", f"/v1/records/{cert}", "/v1/records/{certificate_hash}", {}, 200),
        ("GET", "/v1/records/sha256:00", "/v1/records/{certificate_hash}", {}, 404),
        ("GET", "/.well-known/cerkit-node.json", "/.well-known/cerkit-node.json", {}, 200),
        ("GET", "/.well-known/nexart-node.json", "/.well-known/nexart-node.json", {}, 200),
        ("GET", "/v1/checkpoint", "/v1/checkpoint", {}, 200),
        ("GET", f"/v1/proof/inclusion?hash={cert}", "/v1/proof/inclusion", {}, 200),
        ("GET", "/v1/proof/inclusion?index=9", "/v1/proof/inclusion", {}, 400),
        ("GET", "/v1/proof/inclusion?hash=sha256:00", "/v1/proof/inclusion", {}, 404),
        ("GET", "/v1/proof/consistency?from=0&to=1", "/v1/proof/consistency", {}, 200),
        ("GET", "/v1/proof/consistency?from=x&to=1", "/v1/proof/consistency", {}, 400),
        ("GET", "/v1/entries", "/v1/entries", {}, 200),
        ("GET", "/v1/entries?start=-1", "/v1/entries", {}, 400),
        *[("GET", p, p, {}, 200) for p in ("/health", "/ready", "/version", "/metrics")],
        ("GET", "/openapi.json", "/openapi.json", {}, 200),
    ]
    schema = schemathesis.openapi.from_dict(openapi_document())
    documented = openapi_document()["paths"]
    with httpx.Client(base_url=node.url, timeout=30) as client:
        for method, url, template, options, status in calls:
            response = client.request(method, url, **options)
            assert response.status_code == status, (method, url, response.text)
            assert str(status) in documented[template][method.lower()]["responses"], url
            schema[template][method].validate_response(response)
        with pytest.raises((Failure, FailureGroup)):  # the check has teeth: a wrong answer fails it
            schema["/v1/entries"]["GET"].validate_response(client.get("/version"))
    assert {(c[2], c[0].lower()) for c in calls} == set(_served_paths(openapi_document()))
