"""The ledger and record pages in real Chromium: filters, search and keyset pages, the
record's sections and fingerprint tree, the download and the copy button, and hostile
``<script>``/``javascript:`` payloads shown as text with nothing run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from cerkit.ledger.factory import open_record_store
from cerkit.ledger.sqlite import SQLiteRecordStore
from cerkit.portal.app import create_portal
from portal_pages import LINK, SCRIPT, ledger_records
from portal_served import served

from .kit import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Chromium absent (scripts/ensure-chromium.sh)"
    ),
]


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Any]]]:
    store = open_record_store(tmp_path_factory.mktemp("ledger-browser") / "ledger.db")
    assert isinstance(store, SQLiteRecordStore)
    records = ledger_records()
    store.put_many(records)
    with served(create_portal(store)) as base:
        yield base, records
    store.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page that records dialogs, console errors and page errors."""
    context = browser.new_context(accept_downloads=True)
    opened = context.new_page()
    opened.problems = []
    opened.on("dialog", lambda d: (opened.problems.append(f"dialog {d.message}"), d.dismiss()))
    opened.on("pageerror", lambda e: opened.problems.append(f"error {e}"))
    opened.on(
        "console",
        lambda m: opened.problems.append(f"console {m.text}") if m.type == "error" else None,
    )
    yield opened
    context.close()


def _hashes(page: Any) -> list[str]:
    return [h.removeprefix("/c/") for h in page.eval_on_selector_all(
        "table.ledger a.record", "links => links.map(a => a.getAttribute('href'))"
    )]  # fmt: skip


def test_the_ledger_filters_searches_and_pages_by_cursor(
    portal: tuple[str, list[Any]], page: Any
) -> None:
    base, records = portal
    newest = [r["certificateHash"] for r in reversed(records)]
    page.goto(base + "/records")
    assert _hashes(page) == newest[:50]
    page.click("a[rel=next]")
    assert "before=" in page.url and _hashes(page) == newest[50:]
    page.click("a[rel=prev]")
    assert "after=" in page.url and _hashes(page) == newest[:50]
    page.fill("#model", "classifier-b")
    page.select_option("#verdict", "changed")
    page.click("form.filters button[type=submit]")
    rows = page.locator("table.ledger tbody tr")
    assert rows.count() >= 1
    assert set(page.locator("table.ledger tbody td:nth-child(4)").all_inner_texts()) == {
        "classifier-b"
    }
    assert set(page.locator("table.ledger tbody td:nth-child(6)").all_inner_texts()) == {"changed"}
    assert page.input_value("#model") == "classifier-b"  # the form keeps what was asked
    page.goto(base + "/records")
    page.fill("#q", "run-007")
    page.press("#q", "Enter")
    assert _hashes(page) == [records[7]["certificateHash"]]
    page.fill("#q", records[12]["certificateHash"][7:20])
    page.press("#q", "Enter")
    assert _hashes(page) == [records[12]["certificateHash"]]
    assert page.problems == []


def test_the_record_page_shows_its_parts_tree_download_and_copy(
    portal: tuple[str, list[Any]], page: Any, tmp_path: Path
) -> None:
    base, records = portal
    record = records[3]
    cert = record["certificateHash"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(base + "/records?q=run-003")
    page.click("table.ledger a.record")
    assert page.url.endswith("/c/" + cert)
    assert page.locator("h1 code").inner_text() == cert
    assert page.locator("[data-verdict]").first.inner_text() == "VERIFIED"
    headings = page.locator("main h2").all_inner_texts()
    for title in ("Inputs", "Output", "Parameters as passed", "Parameters as applied"):
        assert title in headings
    assert "Runtime fingerprint" in headings and "Meta (outside the hash)" in headings
    fingerprint = page.locator("section.part", has_text="Runtime fingerprint")
    packages = fingerprint.locator("details details", has_text="packages").first
    assert not packages.evaluate("d => d.open")  # deeper levels start closed
    assert not fingerprint.get_by_text("2.1.0").is_visible()
    packages.locator("summary").first.click()
    packages.locator("summary", has_text="installed").click()
    assert fingerprint.get_by_text("2.1.0").is_visible()
    assert page.locator("section.meta-part h3").all_inner_texts() == [
        "Producer signature",
        "Node receipt",
        "Inclusion proof",
        "Checkpoint",
    ]
    with page.expect_download() as download:
        page.click("a.download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == f"sha256-{cert[7:23]}.json" and json.loads(saved.read_text()) == record
    page.click("button.copy")
    # expect() polls without evaluating a string, which the page's CSP (no unsafe-eval) forbids.
    expect(page.locator(".copied")).to_have_text("copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == f"cerkit verify {saved.name}"
    assert page.problems == []


def test_hostile_values_are_text_on_the_ledger_and_the_record_page(
    portal: tuple[str, list[Any]], page: Any
) -> None:
    base, records = portal
    hostile = records[-1]
    page.goto(base + "/records?q=hostile")
    row = page.locator("table.ledger tbody tr").first
    assert SCRIPT in row.inner_text() and LINK in row.inner_text()
    page.goto(base + "/c/hostile")
    main = page.locator("main")
    assert main.locator("script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert all(
        href.startswith(("/", "#"))  # a path of this portal, or the skip link
        for href in page.eval_on_selector_all("a[href]", "l => l.map(a => a.getAttribute('href'))")
    )
    page.locator("details").evaluate_all("ds => ds.forEach(d => { d.open = true; })")
    text = main.inner_text()
    assert text.count(SCRIPT) >= 3 and text.count(LINK) >= 3
    assert page.locator("h1 code").inner_text() == hostile["certificateHash"]
    assert page.problems == []
