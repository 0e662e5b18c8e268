"""The README's portal screenshots: a small ledger and log, served and photographed.

:func:`take` writes ``portal-verify.png``, ``portal-diff.png``, ``portal-drift.png`` and
``portal-log.png``; ``scripts/portal_screenshots.py`` runs it into ``docs/img/`` and
``tests/portal/test_screenshots.py`` into a temporary folder. Keys and times are fixed.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import orjson

from cerkit.execution_key import execution_key
from cerkit.ledger.factory import open_record_store
from cerkit.ledger.sqlite_log import SQLiteLogStore
from cerkit.node.service import NodeIdentity, NodeService
from cerkit.node.submission import parse_submission
from cerkit.portal.app import create_portal
from cerkit.portal.logview import NodeLogView
from portal_served import served
from trust_fixtures import NODE_KEY, document, record

from .kit import chromium, drifting_ledger

NAMES = ("portal-verify.png", "portal-diff.png", "portal-drift.png", "portal-log.png")
VIEWPORT = {"width": 1100, "height": 800}


def _attested(service: NodeService, bundle: dict[str, Any]) -> dict[str, Any]:
    """``bundle`` with the node's attestation, as ``POST /v1/attest`` answers it."""
    (answer,) = service.commit([parse_submission(orjson.dumps(bundle))])
    return {**bundle, "meta": {"attestation": answer.meta()}}


def _shoot(browser: Any, base: str, folder: Path, saved: str, ledger: list[Any], full: Any) -> None:
    page = browser.new_page(viewport=VIEWPORT)
    tampered = json.loads(json.dumps(ledger[0]))
    tampered["snapshot"]["output"] = 0.99
    page.goto(base + "/")
    page.fill("#record", "\n".join(json.dumps(r) for r in (full, tampered, ledger[1])))
    page.fill("#nodekey", json.dumps(document().to_json()))
    page.click("button[type=submit]")
    page.screenshot(path=str(folder / NAMES[0]), full_page=True)
    a, b = ledger[2]["certificateHash"], ledger[3]["certificateHash"]
    page.goto(f"{base}/diff?a={a}&b={b}")
    page.screenshot(path=str(folder / NAMES[1]), full_page=True)
    page.goto(f"{base}/drift/{execution_key(ledger[0])[7:]}")
    page.screenshot(path=str(folder / NAMES[2]), full_page=True)
    page.goto(f"{base}/log?record={full['certificateHash']}")
    page.fill("#checkpoint", saved)
    page.click("text=Check consistency")
    page.screenshot(path=str(folder / NAMES[3]), full_page=True)
    page.close()


def take(folder: Path) -> list[Path]:
    """Write the four screenshots into ``folder``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_record_store(Path(tmp) / "ledger.db")
        log = SQLiteLogStore(Path(tmp) / "node.db")
        service = NodeService(
            log, NodeIdentity(NODE_KEY, document()), clock=lambda: "2026-01-02T00:00:00.000Z"
        )
        ledger = drifting_ledger()
        for bundle in ledger:
            store.put(_attested(service, bundle))
        saved = service.checkpoint()
        full = _attested(service, record(1))
        store.put(full)
        try:
            with (
                served(create_portal(store, log=NodeLogView(service))) as base,
                chromium() as browser,
            ):
                _shoot(browser, base, folder, saved, ledger, full)
        finally:
            store.close()
            log.close()
    return [folder / name for name in NAMES]
