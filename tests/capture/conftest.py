"""Fixtures for the capture tests: a private record store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cerkit.capture import recorder
from cerkit.ledger import close_shared_stores


@pytest.fixture
def store_path(tmp_path: Path) -> Iterator[Path]:
    """Recorders write to ``tmp_path/ledger.db`` during the test."""
    path = tmp_path / "ledger.db"
    saved = (recorder.DEFAULTS.store, recorder.DEFAULTS.content, list(recorder.DEFAULTS.hooks))
    recorder.configure(store=str(path))
    yield path
    recorder.DEFAULTS.store, recorder.DEFAULTS.content, recorder.DEFAULTS.hooks = saved
    close_shared_stores()
