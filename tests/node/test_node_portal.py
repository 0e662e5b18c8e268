"""The portal a node serves beside its API: its home, the log as the ledger, record pages
verified against the node's own keys, and no write action on any portal route."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from node_checks import Node, sealed

from cerkit.portal.source import CERTIFICATE_HASH

#: The portal's routes on a node, each as a GET a reader might make.
PORTAL_PATHS = ("/", "/records", "/c/{ref}", "/c/{ref}.json", "/static/portal.css")


def _attest(node: Node, count: int) -> list[dict[str, Any]]:
    token = node.token()
    bundles = sealed(count, "portal")
    for bundle in bundles:
        answer = httpx.post(
            node.url + "/v1/attest", json=bundle, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 201, answer.text
    return bundles


def _state(node: Node) -> tuple[int, str]:
    size = httpx.get(node.url + "/ready").json()["treeSize"]
    return size, httpx.get(node.url + "/v1/checkpoint").text.splitlines()[2]


def test_the_node_home_names_its_api_and_its_pages(make_node: Any) -> None:
    node = make_node()
    home = httpx.get(node.url + "/")
    assert home.status_code == 200 and "text/html" in home.headers["content-type"]
    assert "/v1/attest" in home.text and 'href="/records"' in home.text
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]
    assert httpx.get(node.url + "/health").json() == {"status": "ok"}  # the API is unchanged


def test_the_log_is_the_ledger_newest_first_in_keyset_pages(make_node: Any) -> None:
    node = make_node()
    bundles = _attest(node, 53)
    first = httpx.get(node.url + "/records")
    hashes = CERTIFICATE_HASH.findall(first.text)
    expected = [b["certificateHash"] for b in reversed(bundles)]
    assert list(dict.fromkeys(hashes)) == expected[:50]
    older = re.search(r'href="(/records\?before=\d+)"', first.text)
    assert older is not None and "after=" not in first.text
    second = httpx.get(node.url + older.group(1))
    assert list(dict.fromkeys(CERTIFICATE_HASH.findall(second.text))) == expected[50:]
    newer = re.search(r'href="(/records\?after=\d+)"', second.text)
    assert newer is not None
    back = httpx.get(node.url + newer.group(1))
    assert list(dict.fromkeys(CERTIFICATE_HASH.findall(back.text))) == expected[:50]
    cert = bundles[7]["certificateHash"]
    found = httpx.get(node.url + "/records", params={"q": cert[7:20]})
    assert list(dict.fromkeys(CERTIFICATE_HASH.findall(found.text))) == [cert]
    refused = httpx.get(node.url + "/records", params={"model": "gpt-4o"})
    assert refused.status_code == 400 and "cannot filter by model" in refused.text
    assert httpx.get(node.url + "/records", params={"before": "x"}).status_code == 400


def test_a_record_page_verifies_against_the_node_and_downloads_a_verifiable_file(
    make_node: Any, tmp_path: Path
) -> None:
    node = make_node()
    (bundle,) = _attest(node, 1)
    cert = bundle["certificateHash"]
    page = httpx.get(f"{node.url}/c/{cert[7:19]}")
    assert page.status_code == 200
    assert 'data-verdict="VERIFIED"' in page.text and "assurance: logged" in page.text
    assert f"cerkit verify --node {node.url}" in page.text
    download = httpx.get(f"{node.url}/c/{cert}.json")
    assert download.headers["content-disposition"] == (
        f'attachment; filename="sha256-{cert[7:23]}.json"'
    )
    saved = tmp_path / "record.json"
    saved.write_bytes(download.content)
    assert json.loads(download.content)["meta"]["attestation"]["logIndex"] == 0
    from node_checks import cli

    verified = cli("verify", "--node", node.url, str(saved), cwd=tmp_path)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert httpx.get(f"{node.url}/c/{'0' * 12}").status_code == 404


def test_no_portal_route_on_the_node_accepts_a_write_and_the_log_is_unchanged(
    make_node: Any,
) -> None:
    node = make_node()
    (bundle,) = _attest(node, 1)
    before = _state(node)
    ref = bundle["certificateHash"]
    for path in PORTAL_PATHS:
        url = node.url + path.format(ref=ref)
        assert httpx.get(url).status_code == 200, path
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            answer = httpx.request(method, url, json=bundle)
            assert answer.status_code in (404, 405), (method, path, answer.status_code)
    verified = httpx.post(node.url + "/verify", data={"record": json.dumps(bundle)})
    assert verified.status_code == 200 and 'data-verdict="VERIFIED"' in verified.text
    checked = httpx.post(node.url + "/log", data={"checkpoint": "not a checkpoint"})
    assert checked.status_code == 200 and "CHECKPOINT_MALFORMED" in checked.text
    assert _state(node) == before
