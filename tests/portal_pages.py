"""The ledger the portal's page tests browse, and the README screenshots of its pages.

:func:`ledger_records` is a small ledger with fixed times: a few models and entry points,
outputs that change half-way (so verdicts vary), and a hostile record whose fields are
script and links. :func:`take` serves it (signed, attested and logged by an in-process
node with fixed keys) and photographs the ledger and record pages in Chromium.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from cerkit.seal import seal_args

SCRIPT = "<script>alert(1)</script>"
LINK = "javascript:alert(2)"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync"]


def _record(i: int, count: int) -> dict[str, Any]:
    entry = f"app.step{i % 3}:run"
    return seal_args(
        {
            "executionId": f"run-{i:03d}",
            "provider": "python",
            "model": ("classifier-a", "classifier-b")[i % 2],
            "prompt": entry,
            "input": {"args": [i % 6], "kwargs": {}},
            "output": {"label": "cat" if i < count // 2 else "dog"},
            "parameters": {"temperature": 0, "maxTokens": 0},
            "effectiveParameters": {"threshold": 0.5, "topK": 3},
            "execution": {"kind": "python", "entryPoint": entry, "status": "ok"},
            "environment": {
                "python": {"source": "sys", "version": "3.11.7"},
                "packages": {"source": "importlib.metadata", "installed": {"numpy": "2.1.0"}},
            },
        },
        created_at=f"2026-03-01T09:{i // 60:02d}:{i % 60:02d}.000Z",
    )


def hostile_record() -> dict[str, Any]:
    return seal_args(
        {
            "executionId": "hostile",
            "provider": "python",
            "model": SCRIPT,
            "prompt": LINK,
            "input": {"url": LINK},
            "output": {"text": SCRIPT, "href": LINK},
            "parameters": {"temperature": 0, "maxTokens": 0},
            "execution": {"kind": "python", "entryPoint": LINK, "status": SCRIPT},
            "environment": {"python": {SCRIPT: LINK}},
        },
        created_at="2026-03-01T10:00:00.000Z",
    )


def ledger_records(count: int = 64, hostile: bool = True) -> list[dict[str, Any]]:
    """``count`` records, oldest first, then the hostile one when ``hostile``."""
    records = [_record(i, count) for i in range(count)]
    return [*records, hostile_record()] if hostile else records


def take(out: Path, browser: Any = None) -> list[Path]:
    """Screenshots of the ledger page and of a record page into ``out``: the records
    signed by a producer and attested by an in-process node, verified against both.
    ``browser``: a launched Playwright browser to use (else one is launched here)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            try:
                return take(out, launched)
            finally:
                launched.close()
    from cerkit.keys import generate_private_key, public_key_bytes, save_private_key
    from cerkit.ledger.factory import open_record_store
    from cerkit.node.embedded import open_embedded_node
    from cerkit.portal.app import create_portal
    from cerkit.signing import sign_bundle
    from cerkit.verify.trust import TrustStore
    from portal_served import served

    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="cerkit-shots-"))
    producer = generate_private_key()
    save_private_key(generate_private_key(), work / "node.key")
    store = open_record_store(work / "ledger.db")
    with open_embedded_node(
        str(work / "ledger.db"), str(work / "node.key"), "example-node"
    ) as node:
        for record in ledger_records(hostile=False):
            store.put(node.attest(sign_bundle(record, producer)))
        trust = node.trust().merged(TrustStore(producer_keys=(public_key_bytes(producer),)))
    shots = [out / "portal-ledger.png", out / "portal-record.png"]
    with served(create_portal(store, trust)) as base:
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(base + "/records?model=classifier-b")
        page.screenshot(path=str(shots[0]))
        page.goto(base + "/c/run-040")
        page.screenshot(path=str(shots[1]))
        page.close()
    store.close()
    return shots
