"""What the parts of a demo share: the :class:`Demo` they run in and the :data:`Part` shape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cerkit.ledger.base import RecordStore


@dataclass
class Demo:
    """What the parts of one demo run share."""

    store: RecordStore
    url: str  # the store's resolved path or URL
    report: Callable[[str], None]  # where human-readable lines go
    records: list[dict[str, Any]] = field(default_factory=list)  # sealed, in order

    @property
    def home(self) -> Path:
        """The folder for the demo's files and keys: beside a SQLite store, else ``.cerkit``."""
        return Path(self.url).parent if "://" not in self.url else Path(".cerkit")

    @property
    def folder(self) -> Path:
        """Where parts write code they record (``demo/`` in :attr:`home`)."""
        return self.home / "demo"


Part = Callable[[Demo], bool]


__all__ = ["Demo", "Part"]
