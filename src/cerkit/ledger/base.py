"""The ``Ledger`` interface: where records and the transparency log live.

Two backends implement it: :mod:`cerkit.ledger.sqlite` (the embedded default, one file in
``.cerkit/``) and :mod:`cerkit.ledger.postgres` (the scale-out engine shared by node
replicas). The local recorder, the CLI and the attestation node all talk to this interface.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """Filters for :meth:`RecordStore.query`; ``None`` means "any"."""

    entry_point: str | None = None
    model: str | None = None
    execution_key: str | None = None
    since: str | None = None  # ISO 8601, compared with createdAt
    until: str | None = None
    limit: int | None = None


class RecordStore(Protocol):
    """Content-addressed record storage, keyed by ``certificateHash``."""

    def put(self, bundle: Mapping[str, Any]) -> bool:
        """Store a sealed bundle atomically; return False when it was already stored.
        Storing the same certificateHash twice keeps one record (meta is merged)."""
        ...

    def get(self, certificate_hash: str) -> dict[str, Any] | None: ...

    def query(self, query: RecordQuery = RecordQuery()) -> Iterator[dict[str, Any]]:
        """Records matching ``query``, oldest ``createdAt`` first."""
        ...

    def set_meta(self, certificate_hash: str, meta: Mapping[str, Any]) -> None:
        """Replace a stored record's unhashed ``meta`` (signatures, attestation)."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


class LogStore(Protocol):
    """The append-only sequence of leaves behind the transparency log (RFC 9162)."""

    def append(self, certificate_hash: str, leaf: bytes) -> tuple[int, bool]:
        """Append a leaf durably; return ``(index, created)``. Idempotent: the same
        certificateHash always gets the same index."""
        ...

    def size(self) -> int: ...

    def index_of(self, certificate_hash: str) -> int | None: ...

    def leaves(self, start: int, end: int) -> list[bytes]:
        """Leaf data for indices ``[start, end)``."""
        ...
