"""Accessibility of every portal page in Chromium: labelled controls, headings in order,
keyboard use with a visible focus, and no horizontal overflow at 200 % zoom."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from cerkit.execution_key import execution_key
from cerkit.ledger.factory import open_record_store
from cerkit.ledger.sqlite_log import SQLiteLogStore
from cerkit.node.service import NodeIdentity, NodeService
from cerkit.node.submission import parse_submission
from cerkit.portal.app import create_portal
from cerkit.portal.logview import NodeLogView
from portal_served import served
from trust_fixtures import NODE_KEY, document, full_record

from .kit import CHROMIUM, drifting_ledger

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]

#: Every form control with no accessible name (label, aria-label or aria-labelledby).
UNLABELLED = """() => [...document.querySelectorAll('input, textarea, select, button')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby') && !(el.tagName === 'BUTTON' && el.innerText.trim()))
  .map(el => el.outerHTML)"""
HEADINGS = """() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
  .map(h => Number(h.tagName[1]))"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    tmp = tmp_path_factory.mktemp("a11y")
    store = open_record_store(tmp / "ledger.db")
    records = drifting_ledger()
    for r in records:
        store.put(r)
    store.put(full_record())
    service = NodeService(SQLiteLogStore(tmp / "node.db"), NodeIdentity(NODE_KEY, document()))
    service.commit([parse_submission(orjson.dumps(r)) for r in records])
    a, b = records[2]["certificateHash"], records[3]["certificateHash"]
    paths = [
        "/",
        "/records",
        f"/c/{a}",
        f"/diff?a={a}&b={b}",
        "/diff",
        "/drift",
        f"/drift/{execution_key(records[0])[7:]}",
        f"/log?record={a}",
    ]
    with served(create_portal(store, log=NodeLogView(service))) as base:
        yield base, paths
    store.close()
    service.store.close()


def _check_page(page: Any) -> None:
    assert page.evaluate(UNLABELLED) == [], page.url
    levels = page.evaluate(HEADINGS)
    assert levels[0] == 1 and levels.count(1) == 1, (page.url, levels)
    skipped = [(x, y) for x, y in itertools.pairwise(levels) if y > x + 1]
    assert skipped == [], (page.url, levels)


def test_every_page_labels_its_controls_and_orders_its_headings(
    pages: tuple[str, list[str]], browser: Any
) -> None:
    base, paths = pages
    page = browser.new_page()
    for path in paths:
        page.goto(base + path)
        _check_page(page)
    page.goto(base + "/")
    page.fill("#record", "\n".join(json.dumps(r) for r in drifting_ledger()[:2]) + "\n{bad")
    page.click("button[type=submit]")
    _check_page(page)
    page.close()


def test_nothing_overflows_sideways_at_200_percent_zoom(
    pages: tuple[str, list[str]], browser: Any
) -> None:
    # A 1280 px wide window at 200 % zoom lays pages out in 640 CSS pixels.
    base, paths = pages
    page = browser.new_page(viewport={"width": 640, "height": 900}, device_scale_factor=2)
    for path in paths:
        page.goto(base + path)
        assert page.evaluate(OVERFLOW) <= 0, path
    page.close()


def test_the_verify_form_is_usable_from_the_keyboard_with_a_visible_focus(
    pages: tuple[str, list[str]], browser: Any
) -> None:
    base, _ = pages
    page = browser.new_page()
    page.goto(base + "/")
    order = []
    for _ in range(15):  # every control of the page, in document order
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const el = document.activeElement, s = getComputedStyle(el);
            return [el.id || el.textContent.trim(), s.outlineStyle, s.outlineWidth]; }"""
        )
        order.append(focused[0])
        assert focused[1] != "none" and focused[2] != "0px", focused
    assert order[0] == "Skip to content"
    assert order[1:6] == ["Verify", "Ledger", "Diff", "Drift", "Log"]
    want = ["record_file", "record", "nodekey", "nodekey_file", "producerkey", "producerkey_file"]
    assert order[6:14] == [*want, "checkpoint", "checkpoint_file"] and order[14] == "Verify"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "checkpoint_file"
    page.focus("#record")
    page.keyboard.type(json.dumps(drifting_ledger()[0]))
    while page.evaluate("document.activeElement.tagName") != "BUTTON":
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-verdict]")
    assert page.locator("[data-verdict]").first.inner_text() == "VERIFIED"
    page.close()
