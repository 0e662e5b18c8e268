"""The portal in real Chromium, served by a real uvicorn server on a loopback port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cerkit.ledger.factory import open_record_store
from cerkit.portal.app import create_portal
from cerkit.seal import seal_args
from portal_served import served

from .kit import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Chromium absent (scripts/ensure-chromium.sh)"
    ),
]


def _record(output: Any, i: int = 0) -> dict[str, Any]:
    return seal_args(
        {
            "executionId": f"portal-{i}",
            "provider": "python",
            "model": "m",
            "prompt": "app:f",
            "input": i,
            "output": output,
            "parameters": {"temperature": 0, "maxTokens": 0},
        },
        created_at=f"2026-01-01T00:00:0{i}.000Z",
    )


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Any]]]:
    store = open_record_store(tmp_path_factory.mktemp("portal") / "ledger.db")
    hostile = _record({"text": "<script>alert(1)</script>", "link": "javascript:alert(2)"}, 1)
    store.put(hostile)
    with served(create_portal(store)) as base:
        yield base, hostile
    store.close()


def _paste(page: Any, base: str, text: str) -> None:
    page.goto(base + "/")
    page.fill("#record", text)
    page.click("button[type=submit]")


def test_a_valid_record_is_verified_and_a_tampered_one_fails_with_its_reason(
    portal: tuple[str, dict[str, Any]], browser: Any
) -> None:
    base, _ = portal
    page = browser.new_page()
    _paste(page, base, json.dumps(_record("fine")))
    assert page.locator("[data-verdict]").first.inner_text() == "VERIFIED"
    tampered = _record("fine")
    tampered["snapshot"]["output"] = "changed"
    _paste(page, base, json.dumps(tampered))
    assert page.locator("[data-verdict]").first.inner_text() == "FAILED"
    assert "OUTPUT_HASH_MISMATCH" in page.locator("tr.fail .reason").all_inner_texts()
    page.close()


def test_a_batch_lists_its_one_bad_line_first(
    portal: tuple[str, dict[str, Any]], browser: Any
) -> None:
    base, _ = portal
    page = browser.new_page()
    lines = [json.dumps(_record(i, i)) for i in range(3)] + ["{not json"]
    _paste(page, base, "\n".join(lines))
    verdicts = page.locator("[data-verdict]").all_inner_texts()
    assert verdicts == ["FAILED", "VERIFIED", "VERIFIED", "VERIFIED"]
    page.close()


def test_hostile_record_fields_are_shown_as_text_and_nothing_runs(
    portal: tuple[str, dict[str, Any]], browser: Any, tmp_path: Path
) -> None:
    base, hostile = portal
    page = browser.new_page()
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text))
    answer = page.goto(base + "/c/" + hostile["certificateHash"][7:20])
    assert (
        answer is not None and "frame-ancestors 'none'" in answer.headers["content-security-policy"]
    )
    assert answer.headers["x-content-type-options"] == "nosniff"
    text = page.locator("pre.json").inner_text()
    assert "<script>alert(1)</script>" in text and "javascript:alert(2)" in text
    assert page.locator("main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    page.screenshot(path=str(tmp_path / "record.png"))
    assert (tmp_path / "record.png").stat().st_size > 0
    assert dialogs == [] and not [m for m in console if "alert" in m]
    page.close()
