"""The log page in Chromium: tree size, the signed checkpoint, consistency, inclusion."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from cerkit.checkpoint import Checkpoint, sign_checkpoint
from cerkit.cli import build_parser
from cerkit.cli.ui import _log_view
from cerkit.ledger.factory import open_record_store
from cerkit.ledger.sqlite_log import SQLiteLogStore
from cerkit.node.service import NodeIdentity, NodeService
from cerkit.node.submission import parse_submission
from cerkit.portal.app import create_portal
from cerkit.portal.logview import NodeLogView, StoreLogView
from portal_served import served
from trust_fixtures import NODE_KEY, ORIGIN, OTHER_KEY, document, record

from .kit import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]


@dataclass
class Site:
    store_log: str  # base URL of `cerkit ui --log` over the log store
    node_log: str  # base URL of a portal over the running node's log
    saved: str  # a checkpoint of size 5, saved before three more records were attested
    records: list[dict[str, Any]]
    path: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("log")
    path = tmp / "node.db"
    service = NodeService(SQLiteLogStore(path), NodeIdentity(NODE_KEY, document()))
    records = [record(n) for n in range(8)]
    service.commit([parse_submission(orjson.dumps(r)) for r in records[:5]])
    saved = service.checkpoint()
    service.commit([parse_submission(orjson.dumps(r)) for r in records[5:]])
    (tmp / "checkpoint.note").write_text(service.checkpoint(), encoding="utf-8")
    reader = StoreLogView(
        SQLiteLogStore(path), checkpoint=service.checkpoint(), document=document()
    )
    store = open_record_store(tmp / "ledger.db")
    with (
        served(create_portal(store, log=reader)) as one,
        served(create_portal(store, log=NodeLogView(service))) as two,
    ):
        yield Site(one, two, saved, records, tmp)
    store.close()
    reader.store.close()
    service.store.close()


def _outcome(page: Any, which: str) -> dict[str, tuple[str, str]]:
    rows = page.locator(f"[data-outcome={which}] table.checks tbody tr")
    return {
        rows.nth(i).get_attribute("data-check"): (
            rows.nth(i).locator(".status").inner_text(),
            rows.nth(i).locator(".reason").inner_text(),
        )
        for i in range(rows.count())
    }


def _paste(page: Any, base: str, note: str) -> None:
    page.goto(base + "/log")
    page.fill("#checkpoint", note)
    page.click("text=Check consistency")


@pytest.mark.parametrize("which", ["store_log", "node_log"])
def test_the_tree_and_its_signed_checkpoint_are_shown_and_checked(
    site: Site, browser: Any, which: str
) -> None:
    page = browser.new_page()
    page.goto(getattr(site, which) + "/log")
    assert page.locator("[data-size]").inner_text() == "8"
    assert page.locator("#signed-note").inner_text().startswith(ORIGIN + "\n8\n")
    assert _outcome(page, "signed") == {
        "signature": ("PASS", "OK"),
        "consistency": ("PASS", "OK"),
    }
    page.close()


@pytest.mark.parametrize("which", ["store_log", "node_log"])
def test_a_checkpoint_saved_earlier_is_consistent_with_the_grown_log(
    site: Site, browser: Any, which: str
) -> None:
    page = browser.new_page()
    _paste(page, getattr(site, which), site.saved)
    assert page.locator("[data-outcome=pasted] [data-verdict]").inner_text() == "CONSISTENT"
    assert _outcome(page, "pasted")["consistency"] == ("PASS", "OK")
    assert "extends the checkpoint of 5" in page.locator("[data-outcome=pasted]").inner_text()
    page.close()


def _forged(size: int, root: bytes, key: Any = NODE_KEY) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), ORIGIN, key)


@pytest.mark.parametrize(
    ("note", "check", "reason"),
    [
        (_forged(5, b"\x09" * 32), "consistency", "CONSISTENCY_PROOF_INVALID"),
        (_forged(20, b"\x09" * 32), "consistency", "CONSISTENCY_PROOF_INVALID"),
        (_forged(5, b"\x09" * 32, OTHER_KEY), "signature", "CHECKPOINT_SIGNATURE_INVALID"),
        ("not\na note\n", "checkpoint", "CHECKPOINT_MALFORMED"),
    ],
    ids=["rewritten", "truncated", "foreign-key", "malformed"],
)
def test_a_wrong_checkpoint_fails_with_its_reason(
    site: Site, browser: Any, note: str, check: str, reason: str
) -> None:
    page = browser.new_page()
    _paste(page, site.store_log, note)
    assert page.locator("[data-outcome=pasted] [data-verdict]").inner_text() == "FAILED"
    assert _outcome(page, "pasted")[check] == ("FAIL", reason)
    page.close()


def test_the_inclusion_proof_of_a_record_leads_to_the_signed_root(site: Site, browser: Any) -> None:
    page = browser.new_page()
    page.goto(site.store_log + "/log")
    page.fill("#record", site.records[2]["certificateHash"])
    page.click("text=Prove inclusion")
    assert _outcome(page, "inclusion") == {"inclusion": ("PASS", "OK")}
    text = page.locator("[data-outcome=inclusion]").inner_text()
    assert "entry 2 of 8" in text and "signed checkpoint" in text
    assert page.locator("ol.proof li").count() == 3  # log2(8) hashes
    page.goto(site.store_log + "/log?record=" + "ab" * 32)
    assert _outcome(page, "inclusion") == {"entry": ("FAIL", "LOG_ENTRY_MISSING")}
    page.close()


def test_a_portal_without_a_log_says_how_to_give_one(browser: Any, tmp_path: Path) -> None:
    store = open_record_store(tmp_path / "ledger.db")
    with served(create_portal(store)) as base:
        page = browser.new_page()
        answer = page.goto(base + "/log")
        assert answer is not None and answer.status == 404
        assert "--log" in page.locator("[role=alert]").inner_text()
        page.close()
    store.close()


def test_cerkit_ui_log_options_build_the_store_log(site: Site) -> None:
    args = build_parser().parse_args(
        [
            "ui",
            "--log",
            str(site.path / "node.db"),
            "--log-checkpoint",
            str(site.path / "checkpoint.note"),
        ]
    )
    source = _log_view(args)
    assert source is not None
    try:
        assert source.tree_size() == 8 and source.key_document() is None
        assert (source.signed_checkpoint() or "").startswith(ORIGIN + "\n8\n")
    finally:
        source.store.close()


def test_a_node_that_refuses_to_sign_is_an_error_with_its_reason(
    site: Site, browser: Any, tmp_path: Path
) -> None:
    retired = NodeService(SQLiteLogStore(site.path / "node.db"), NodeIdentity(None, document()))
    store = open_record_store(tmp_path / "ledger.db")
    with served(create_portal(store, log=NodeLogView(retired))) as base:
        page = browser.new_page()
        answer = page.goto(base + "/log")
        assert answer is not None and answer.status == 503
        assert "NO_SIGNING_KEY" in page.locator("[role=alert]").inner_text()
        page.close()
    store.close()
    retired.store.close()
