"""Regenerate the portal screenshots in docs/img/ (referenced by README.md).

The verify, diff, drift and log pages are served from a small ledger and log with fixed keys
and times (``tests/portal/screenshots.py``); the ledger and record pages from a small ledger
signed and attested by an in-process node (``tests/portal_pages.py``). All are photographed
in Debian's Chromium.

    python scripts/portal_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from portal.screenshots import take  # noqa: E402
from portal_pages import take as take_ledger  # noqa: E402


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"
    for path in [*take(out), *take_ledger(out)]:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
