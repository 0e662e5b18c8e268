"""The ledger and record pages over a record store, through a real server: filters, search,
keyset pages, the download, and hostile values shown as text with no link built from them."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cerkit.ledger.factory import open_record_store
from cerkit.ledger.sqlite import SQLiteRecordStore
from cerkit.portal.app import create_portal
from cerkit.portal.source import CERTIFICATE_HASH
from cerkit.seal import seal_args
from portal_served import served

HOSTILE = '<script>alert("x")</script>'


def _record(i: int) -> dict[str, Any]:
    return seal_args(
        {
            "executionId": f"ledger-{i}",
            "provider": "python",
            "model": "m-even" if i % 2 == 0 else "m-odd",
            "prompt": "app:predict",
            "input": i % 5,  # five execution keys, each run many times
            "output": i % 5 if i < 60 else -1,  # outputs change from record 60 on
            "parameters": {"temperature": 0, "maxTokens": 0},
            "execution": {"kind": "python", "entryPoint": "app:predict", "status": "ok"},
        },
        created_at=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}.000Z",
    )


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Any]]]:
    store = open_record_store(tmp_path_factory.mktemp("ledger") / "ledger.db")
    assert isinstance(store, SQLiteRecordStore)
    records = [_record(i) for i in range(120)]
    store.put_many(records)
    weird = {**_record(999), "certificateHash": "javascript:alert(1)"}
    weird["snapshot"] = {**weird["snapshot"], "model": HOSTILE}
    store.put(weird)  # a stored row whose identity is no hash: shown, never linked
    with served(create_portal(store)) as base:
        yield base, records
    store.close()


def _hashes(text: str) -> list[str]:
    return list(dict.fromkeys(CERTIFICATE_HASH.findall(text)))


def _link(text: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', text)
    return html.unescape(found.group(1)) if found else None


def test_pages_walk_the_filtered_ledger_by_cursor_and_back(portal: tuple[str, list[Any]]) -> None:
    base, records = portal
    expected = [
        r["certificateHash"] for r in reversed(records) if r["snapshot"]["model"] == "m-odd"
    ]
    seen: list[str] = []
    pages: list[str] = []
    url: str | None = base + "/records?model=m-odd"
    while url is not None:
        answer = httpx.get(url)
        assert answer.status_code == 200
        seen += _hashes(answer.text)
        pages.append(answer.text)
        older = _link(answer.text, "next")
        if older is not None:
            query = parse_qs(urlsplit(older).query)
            assert query["model"] == ["m-odd"] and "before" in query and "offset" not in query
        url = base + older if older else None
    assert seen == expected and len(pages) == 2
    newer = _link(pages[-1], "prev")
    assert newer is not None
    assert _hashes(httpx.get(base + newer).text) == expected[:50]


def test_filters_and_the_verdict_select_the_indexed_rows(portal: tuple[str, list[Any]]) -> None:
    base, records = portal
    changed = httpx.get(base + "/records", params={"verdict": "changed"})
    assert _hashes(changed.text) == [r["certificateHash"] for r in records[60:65]][::-1]
    window = httpx.get(
        base + "/records", params={"since": "2026-01-01T00:00:10", "until": "2026-01-01T00:00:12"}
    )
    assert _hashes(window.text) == [r["certificateHash"] for r in records[10:13]][::-1]
    first = httpx.get(base + "/records", params={"verdict": "first", "model": "m-even"})
    assert _hashes(first.text) == [records[i]["certificateHash"] for i in (4, 2, 0)]
    for bad in ({"verdict": "maybe"}, {"since": "yesterday"}, {"before": "nope"}, {"q": "x" * 600}):
        answer = httpx.get(base + "/records", params=bad)
        assert answer.status_code == 400 and "BAD_REQUEST" in answer.text, bad


def test_search_finds_by_hash_prefix_or_execution_id(portal: tuple[str, list[Any]]) -> None:
    base, records = portal
    cert = records[33]["certificateHash"]
    assert _hashes(httpx.get(base + "/records", params={"q": cert[7:19]}).text) == [cert]
    assert _hashes(httpx.get(base + "/records", params={"q": cert.upper()[7:]}).text) == [cert]
    assert _hashes(httpx.get(base + "/records", params={"q": "ledger-33"}).text) == [cert]
    assert "No record matches" in httpx.get(base + "/records", params={"q": "nobody"}).text


def test_the_record_page_is_found_by_execution_id_and_downloads_as_a_file(
    portal: tuple[str, list[Any]], tmp_path: Path
) -> None:
    base, records = portal
    cert = records[5]["certificateHash"]
    page = httpx.get(base + "/c/ledger-5")
    assert page.status_code == 200 and f"<code>{cert}</code>" in page.text
    for section in ("Inputs", "Output", "Parameters as passed", "Execution", "Checkpoint"):
        assert f">{section}</h" in page.text
    download = httpx.get(f"{base}/c/{cert}.json")
    assert (
        download.headers["content-disposition"]
        == f'attachment; filename="sha256-{cert[7:23]}.json"'
    )
    assert download.json() == records[5]
    assert httpx.get(base + "/c/ledger-none").status_code == 404
    assert httpx.get(base + "/c/" + "a").status_code == 400  # a prefix of many records


def test_a_hostile_row_is_listed_as_text_and_never_linked(portal: tuple[str, list[Any]]) -> None:
    base, _ = portal
    listing = httpx.get(base + "/records", params={"q": "ledger-999"})
    assert "javascript:alert(1)" in listing.text and "&lt;script&gt;alert(" in listing.text
    assert HOSTILE not in listing.text and 'href="javascript' not in listing.text
    hrefs = re.findall(r'href="([^"]+)"', listing.text)
    assert all(h.startswith(("/", "#")) for h in hrefs), hrefs  # paths, the skip link
    echoed = httpx.get(base + "/records", params={"model": HOSTILE})
    assert HOSTILE not in echoed.text and 'value="&lt;script&gt;alert(&#34;x&#34;)' in echoed.text
