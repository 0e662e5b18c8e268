"""Replay: re-execute a recorded Python entry point and label it deterministic or not."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cerkit.errors import OperationalError


def replay(bundle: Mapping[str, Any], runs: int, *, store_url: str | None = None) -> Any:
    """Not available until the recorder lands."""
    raise OperationalError("replay needs the recorder (cerkit.capture.recorder)")
