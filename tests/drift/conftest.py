"""Session fixtures of the drift scenarios: the local wheel index, built once."""

from __future__ import annotations

from pathlib import Path

import pytest
from rerun_kit import build_wheels


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of tiny wheels (rerun_kit.PROJECTS) for PIP_FIND_LINKS with PIP_NO_INDEX."""
    return build_wheels(tmp_path_factory.mktemp("wheelhouse"))
