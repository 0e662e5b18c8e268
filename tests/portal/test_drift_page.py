"""The drift pages in Chromium: keys listed, the timeline's plot and its links to the diff."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cerkit.execution_key import execution_key
from cerkit.ledger.factory import open_record_store
from cerkit.portal.app import create_portal
from portal_served import served

from .kit import CHROMIUM, drifting_ledger, scored, watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]
HOSTILE = "<script>alert(1)</script>javascript:alert(2)"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Any]]]:
    store = open_record_store(tmp_path_factory.mktemp("drift") / "ledger.db")
    records = drifting_ledger()
    records += [scored(h, entry=HOSTILE, output=h % 2) for h in range(3)]
    records += [scored(h, entry="app.stable:f") for h in range(2)]
    for r in records:
        store.put(r)
    with served(create_portal(store)) as url:
        yield url, records
    store.close()


def test_the_key_list_puts_changed_outputs_first(site: tuple[str, list[Any]], browser: Any) -> None:
    base, _ = site
    page = browser.new_page()
    page.goto(base + "/drift")
    rows = page.locator("table.keys tbody tr")
    assert rows.count() == 3
    changes = [int(rows.nth(i).get_attribute("data-changes") or -1) for i in range(3)]
    assert changes == sorted(changes, reverse=True) and changes[-1] == 0
    assert page.locator("table.keys th a", has_text="app.score:predict").count() == 1
    page.close()


def test_the_timeline_shows_the_plot_and_links_each_change_point_to_its_diff(
    site: tuple[str, list[Any]], browser: Any
) -> None:
    base, records = site
    page = browser.new_page()
    page.goto(base + "/drift")
    page.click("table.keys th a >> text=app.score:predict")
    assert page.locator("svg.timeline").count() == 1
    assert page.locator("svg.timeline circle.change").count() == 1
    row = page.locator("table.points tbody tr")
    assert row.count() == 1 and row.get_attribute("data-verdict") == "DRIFT_EXPLAINED"
    assert "tinypkg" in row.inner_text()
    before, after = records[2]["certificateHash"], records[3]["certificateHash"]
    href = row.locator("a.diff").get_attribute("href") or ""
    assert before.replace(":", "%3A") in href and after.replace(":", "%3A") in href
    page.click("svg.timeline circle.change")
    assert page.evaluate("document.activeElement.className") == "diff"
    page.keyboard.press("Enter")
    page.wait_for_url("**/diff?*")
    assert page.locator("[data-verdict]").inner_text() == "DRIFT_EXPLAINED"
    page.close()


def test_hostile_entry_points_are_text_in_headings_and_plots(
    site: tuple[str, list[Any]], browser: Any
) -> None:
    base, records = site
    page = browser.new_page()
    dialogs, console = watch(page)
    key = execution_key(records[6])
    page.goto(f"{base}/drift/{key[7:]}")
    assert page.locator("main h2").first.inner_text() == HOSTILE
    assert (
        page.locator("svg.timeline").get_attribute("aria-label") == f"output of {HOSTILE} over time"
    )
    assert page.locator("main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert dialogs == [] and not [m for m in console if "alert" in m]
    page.close()


def test_an_unknown_or_malformed_key_is_a_clear_error(
    site: tuple[str, list[Any]], browser: Any
) -> None:
    base, _ = site
    page = browser.new_page()
    answer = page.goto(base + "/drift/abcdef0123")
    assert answer is not None and answer.status == 404
    assert "NOT_FOUND" in page.locator("[role=alert]").inner_text()
    answer = page.goto(base + "/drift/not-a-key")
    assert answer is not None and answer.status == 400
    page.close()
