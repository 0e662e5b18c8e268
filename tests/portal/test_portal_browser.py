"""The portal in real Chromium, served by a real uvicorn server on a loopback port."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from cerkit.ledger.factory import open_record_store
from cerkit.portal.app import create_portal
from cerkit.seal import seal_args

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Chromium absent (scripts/ensure-chromium.sh)"
    ),
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
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
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_portal(store), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}", hostile
    server.should_exit = True
    thread.join(5)
    store.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


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
