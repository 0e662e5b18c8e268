"""Shared pieces of the portal's browser tests (the server is portal_served.served):
Debian's Chromium through Playwright, and sealed records whose drift is known."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cerkit.seal import seal_args

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium, launched by Playwright with no network beyond the test server."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def watch(page: Any) -> tuple[list[str], list[str]]:
    """Collect the page's dialogs (dismissed) and console messages."""
    dialogs: list[str] = []
    console: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(m.text))
    return dialogs, console


def _args(hour: int) -> dict[str, Any]:
    return {
        "executionId": f"score-{hour}",
        "provider": "python",
        "model": "app.score:predict",
        "prompt": "app.score:predict",
        "input": {"args": [[1.0, 2.0]], "kwargs": {}},
        "output": 0.75,
        "parameters": {"temperature": 0, "maxTokens": 0},
        "execution": {"kind": "python", "entryPoint": "app.score:predict", "status": "ok"},
        "environment": {
            "schema": "cerkit.environment.v1",
            "python": {"source": "sys", "implementation": "CPython", "version": "3.11.7"},
            "packages": {"source": "importlib.metadata", "installed": {"tinypkg": "1.0"}},
            "imported": {"source": "sys.modules", "packages": {"tinypkg": "1.0"}},
        },
    }


def at(hour: int) -> str:
    return f"2026-01-01T{hour:02d}:00:00.000Z"


def scored(
    hour: int, *, bumped: bool = False, output: Any = None, entry: str = "app.score:predict"
) -> dict[str, Any]:
    """A record of ``entry`` (a key of its own); ``bumped``: tinypkg 2.0, imported, output 0.8."""
    args = copy.deepcopy(_args(hour))
    args["execution"]["entryPoint"] = args["model"] = args["prompt"] = entry
    if bumped:
        args["environment"]["packages"]["installed"]["tinypkg"] = "2.0"
        args["environment"]["imported"]["packages"]["tinypkg"] = "2.0"
        args["output"] = 0.8
    if output is not None:
        args["output"] = output
    args["timestamp"] = at(hour)
    return seal_args(args, created_at=at(hour))


def drifting_ledger() -> list[dict[str, Any]]:
    """Six runs of one execution key: output 0.75, then 0.8 after a tinypkg bump at 03:00."""
    return [scored(hour, bumped=hour >= 3) for hour in range(6)]
