"""The portal's pages on a node (``cerkit node serve``): the ledger is the node's log.

A node keeps each attested record with its log entry (:class:`~cerkit.ledger.base.LogStore`),
indexed by log index and certificate hash only. So :class:`LogSource` pages the log by
index, newest first, searches by certificate-hash prefix, and refuses the other filters
(they need a record store: ``cerkit ui``). A record is shown with the node's current
attestation (receipt, inclusion proof, checkpoint) and verified against the node's own key
document. Nothing here writes: the node's portal has no write action.
"""

from __future__ import annotations

import json
from typing import Any, Final

from cerkit.attestation import attach_attestation
from cerkit.errors import UsageError
from cerkit.ledger.base import BrowseQuery, BrowseRow, record_columns
from cerkit.node.service import NodeService
from cerkit.node.submission import check_stored_bundle
from cerkit.portal.app import Portal
from cerkit.portal.logview import NodeLogView
from cerkit.portal.source import HASH_PREFIX, Page, bad_cursor
from cerkit.verify.trust import TrustStore

#: The node's endpoints its home page lists (docs/node.md has them all).
API: Final[tuple[tuple[str, str], ...]] = (
    ("POST /v1/attest", "attest a sealed record (bearer token)"),
    ("GET /v1/records/{certificateHash}", "a logged record with its attestation"),
    ("POST /v1/verify", "verify a record against this node's keys"),
    ("GET /.well-known/cerkit-node.json", "the node's key document"),
    ("GET /v1/checkpoint", "the signed checkpoint"),
    ("GET /v1/proof/inclusion", "an inclusion proof (hash or index)"),
    ("GET /v1/proof/consistency", "a consistency proof (from, to)"),
    ("GET /v1/entries", "log entries"),
    ("GET /health, /ready, /version, /metrics", "operations"),
    ("GET /openapi.json", "the API description"),
)


class LogSource:
    """A :class:`~cerkit.portal.source.Source` over a node's transparency log."""

    label = "transparency log"
    filters = frozenset({"prefix"})

    def __init__(self, service: NodeService) -> None:
        self.service = service
        self.trust: TrustStore | None = TrustStore(node_documents=(service.identity.document,))

    def page(self, query: BrowseQuery, cursor: str | None, newer: bool) -> Page:
        if query.prefix:
            return Page(self._rows(self.service.store.find(query.prefix)[: query.limit]))
        size = self.service.store.size()
        mark = size if cursor is None else _index(cursor, size)
        if newer:
            start = mark + 1
            end = min(size, start + query.limit)
        else:
            end = mark
            start = max(0, end - query.limit)
        entries = self.service.store.entries(start, end)
        rows = self._rows([e.certificate_hash for e in reversed(entries)])
        older = str(start) if start > 0 else None
        return Page(rows, older, str(end - 1) if end < size else None)

    def _rows(self, hashes: list[str]) -> list[BrowseRow]:
        rows = []
        for cert in hashes:
            stored = self.service.store.bundle(cert)
            bundle = _parsed(stored)
            if not isinstance(bundle, dict):
                rows.append(BrowseRow(cert, "", None, None, None, None, None))
                continue
            found = record_columns(bundle)
            created = bundle.get("createdAt")
            created = created if isinstance(created, str) else ""
            row = (found.entry_point, found.model, found.status, found.execution_id)
            rows.append(BrowseRow(cert, created, *row, None))
        return rows

    def resolve(self, ref: str) -> str | None:
        if not HASH_PREFIX.fullmatch(ref):
            return None
        matches = self.service.store.find(ref)
        if len(matches) > 1:
            raise UsageError(f"{ref!r} matches {len(matches)} records; give more digits")
        return matches[0] if matches else None

    def get(self, certificate_hash: str) -> dict[str, Any] | None:
        """The logged record with the node's attestation under its latest checkpoint; a
        stored copy that no longer is the logged record is not shown as it."""
        found = self.service.attestation_of(certificate_hash)
        stored = self.service.store.bundle(certificate_hash)
        if found is None or stored is None:
            return None
        bundle = check_stored_bundle(certificate_hash, stored)
        return attach_attestation(bundle, found.meta())


def _parsed(stored: bytes | None) -> Any:
    if stored is None:
        return None
    try:
        return json.loads(stored)
    except ValueError:
        return None


def _index(cursor: str, size: int) -> int:
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 19) or int(cursor) > size:
        raise bad_cursor()
    return int(cursor)


def node_portal(service: NodeService) -> Portal:
    """The portal a node serves beside its API (read-only); its record pages suggest
    ``cerkit verify --node <this node>``, and its log page reads the running log."""
    return Portal(LogSource(service), api=API, node_hint=True, log=NodeLogView(service))


__all__ = ["API", "LogSource", "node_portal"]
