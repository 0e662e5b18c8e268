"""The ledger and record screenshots, in a module of their own: Playwright's sync API
cannot start while another module's browser (a module-scoped fixture) is still open."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Chromium absent (scripts/ensure-chromium.sh)"
    ),
]


def test_the_screenshots_of_the_ledger_and_record_pages_are_taken(tmp_path: Path) -> None:
    from portal_pages import take

    shots = take(tmp_path)
    assert [s.name for s in shots] == ["portal-ledger.png", "portal-record.png"]
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
