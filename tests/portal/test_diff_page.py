"""The diff page in Chromium: verdict and ranked causes first, then changes by facet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cerkit.ledger.factory import open_record_store
from cerkit.portal.app import create_portal
from portal_served import served

from .kit import CHROMIUM, scored, watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Any]]]:
    store = open_record_store(tmp_path_factory.mktemp("diff") / "ledger.db")
    records = [
        scored(1),
        scored(2, bumped=True),
        scored(3, output="<script>alert(1)</script><a href='javascript:alert(2)'>x</a>"),
    ]
    for r in records:
        store.put(r)
    with served(create_portal(store)) as url:
        yield url, records
    store.close()


def test_the_verdict_and_the_ranked_causes_come_before_the_facets(
    site: tuple[str, list[Any]], browser: Any
) -> None:
    base, records = site
    a, b = records[0]["certificateHash"], records[1]["certificateHash"]
    page = browser.new_page()
    page.goto(f"{base}/diff?a={a[7:19]}&b={b}")
    assert page.locator("[data-verdict]").inner_text() == "DRIFT_EXPLAINED"
    headings = page.locator("main h2").all_inner_texts()
    assert headings[0].startswith("Verdict") and headings[1].startswith("Candidate causes")
    first_cause = page.locator("ol.causes > li").first
    assert first_cause.get_attribute("data-cause") == "dependency"
    assert "tinypkg" in first_cause.inner_text()
    row = page.locator("table[data-facet=dependencies] tr", has_text="tinypkg").first
    assert (
        row.locator(".before").inner_text() == "1.0" and row.locator(".after").inner_text() == "2.0"
    )
    outputs = page.locator("table[data-facet=outputs] tbody tr").count()
    assert outputs >= 1
    assert page.locator(f"a[href='/c/{a}']").count() == 1
    page.close()


def test_the_form_fills_the_query_and_an_unknown_record_is_a_clear_error(
    site: tuple[str, list[Any]], browser: Any
) -> None:
    base, records = site
    page = browser.new_page()
    page.goto(base + "/diff")
    page.fill("#a", records[0]["certificateHash"])
    page.fill("#b", "ffffffffffff")
    page.click("button[type=submit]")
    assert "NOT_FOUND" in page.locator("[role=alert]").inner_text()
    assert page.input_value("#a") == records[0]["certificateHash"]
    page.close()


def test_hostile_output_in_a_diff_is_text_and_runs_nothing(
    site: tuple[str, list[Any]], browser: Any
) -> None:
    base, records = site
    page = browser.new_page()
    dialogs, console = watch(page)
    a, c = records[0]["certificateHash"], records[2]["certificateHash"]
    page.goto(f"{base}/diff?a={a}&b={c}")
    cell = page.locator("table[data-facet=outputs] .after").first.inner_text()
    assert "<script>alert(1)</script>" in cell and "javascript:alert(2)" in cell
    assert page.locator("main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert dialogs == [] and not [m for m in console if "alert" in m]
    page.close()
