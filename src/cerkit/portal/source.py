"""What the portal reads records from: a :class:`Source`, and the one over a record store.

``cerkit ui`` browses a :class:`~cerkit.ledger.base.RecordStore` (:class:`StoreSource`);
``cerkit node serve`` browses its transparency log (:class:`cerkit.node.portal.LogSource`),
which indexes fewer columns and so answers fewer filters (:attr:`Source.filters`). Both
are read-only: a source has no method that writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol

from cerkit.errors import Reason, RequestError, UsageError
from cerkit.ledger.base import BrowseQuery, BrowseRow, RecordStore, resolve_certificate_hash
from cerkit.verify.trust import TrustStore

#: A certificate hash as the portal builds links from it: nothing else becomes an href.
CERTIFICATE_HASH: Final[re.Pattern[str]] = re.compile(r"sha256:[0-9a-f]{64}")
#: A hash prefix a reader may type: hex digits, ``sha256:`` optional.
HASH_PREFIX: Final[re.Pattern[str]] = re.compile(r"(sha256:)?[0-9a-f]{1,64}")
#: The longest ``createdAt`` a cursor may carry: far beyond any ISO 8601 time, and a bound
#: on what a URL makes the store compare (the ledger reads at most 512 characters a value).
MAX_CURSOR_TIME: Final[int] = 256
#: Rows per ledger page: a screenful, and a bounded read per request.
PAGE_ROWS: Final[int] = 50

#: Every filter the ledger page knows (a :class:`~cerkit.ledger.base.BrowseQuery` field).
ALL_FILTERS: Final[frozenset[str]] = frozenset(
    ("entry_point", "model", "status", "verdict", "since", "until", "execution_id", "prefix")
)


def is_certificate_hash(value: object) -> bool:
    return isinstance(value, str) and CERTIFICATE_HASH.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Page:
    """One ledger page, newest first, with the cursors of its neighbours (None: no page)."""

    rows: list[BrowseRow]
    older: str | None = None
    newer: str | None = None


class Source(Protocol):
    """Where the portal's ledger and record pages read from (read-only)."""

    #: What the pages call this ledger ("record store", "transparency log").
    label: str
    #: The :data:`ALL_FILTERS` this source answers; others are refused with BAD_REQUEST.
    filters: frozenset[str]
    #: What record pages verify against (the node trusts its own key document).
    trust: TrustStore | None

    def page(self, query: BrowseQuery, cursor: str | None, newer: bool) -> Page:
        """The page of ``query`` just older than ``cursor`` (newer ones when ``newer``), or
        the first page when ``cursor`` is None.

        Raises:
            RequestError: ``BAD_REQUEST`` for a cursor this source did not make.
        """
        ...

    def resolve(self, ref: str) -> str | None:
        """The certificate hash ``ref`` names (a hash, a prefix or an executionId), or None.

        Raises:
            UsageError: a prefix or executionId naming several records.
        """
        ...

    def get(self, certificate_hash: str) -> dict[str, Any] | None:
        """The record, with the ``meta`` this source knows (the node adds its attestation)."""
        ...


def bad_cursor() -> RequestError:
    return RequestError("the page cursor is not one this portal made", Reason.BAD_REQUEST)


class StoreSource:
    """A :class:`Source` over a record store: every filter, keyset pages on
    ``(createdAt, certificateHash)`` (:meth:`~cerkit.ledger.base.RecordStore.browse`)."""

    label = "record store"
    filters = ALL_FILTERS

    def __init__(self, store: RecordStore, trust: TrustStore | None = None) -> None:
        self.store = store
        self.trust = trust

    def page(self, query: BrowseQuery, cursor: str | None, newer: bool) -> Page:
        size = query.limit
        position = None if cursor is None else _position(cursor)
        probe = replace(query, limit=size + 1)  # one more row says whether a page follows
        if position is None:
            rows = self.store.browse(probe)
            return Page(rows[:size], _cursor(rows[size - 1]) if len(rows) > size else None)
        if newer:
            rows = self.store.browse(replace(probe, after=position))
            more = len(rows) > size
            rows = rows[1:] if more else rows
            return Page(rows, _cursor(rows[-1]) if rows else None, _newer(rows, more))
        rows = self.store.browse(replace(probe, before=position))
        older = _cursor(rows[size - 1]) if len(rows) > size else None
        return Page(rows[:size], older, _cursor(rows[0]) if rows else None)

    def resolve(self, ref: str) -> str | None:
        if HASH_PREFIX.fullmatch(ref):
            found = resolve_certificate_hash(self.store, ref)
            if found is not None:
                return found
        rows = self.store.browse(BrowseQuery(execution_id=ref, limit=2))
        if len(rows) > 1:
            raise UsageError(f"executionId {ref[:80]!r} names several records; pick one by hash")
        return rows[0].certificate_hash if rows else None

    def get(self, certificate_hash: str) -> dict[str, Any] | None:
        return self.store.get(certificate_hash)


def _newer(rows: list[BrowseRow], more: bool) -> str | None:
    return _cursor(rows[0]) if more and rows else None


def _cursor(row: BrowseRow) -> str:
    """``createdAt`` and the certificate hash, the hash last (fixed length: no escaping)."""
    return f"{row.created_at}~{row.certificate_hash}"


def _position(cursor: str) -> tuple[str, str]:
    created, cert = cursor[:-72], cursor[-71:]
    if cursor[-72:-71] != "~" or not is_certificate_hash(cert) or len(created) > MAX_CURSOR_TIME:
        raise bad_cursor()
    return created, cert
