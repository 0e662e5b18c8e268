"""Fixtures the portal's browser tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .kit import chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module (Playwright's sync API runs one at a time)."""
    with chromium() as launched:
        yield launched
