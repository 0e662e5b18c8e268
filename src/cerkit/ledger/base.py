"""The ledger interfaces: where records, the transparency log and node tokens live.

Three protocols, each with a SQLite implementation (the embedded default, one file in
``.cerkit/``) and a PostgreSQL one (the scale-out engine shared by node replicas), all
opened by :mod:`cerkit.ledger.factory`:

* :class:`RecordStore`: :class:`~cerkit.ledger.sqlite.SQLiteRecordStore`,
  :class:`~cerkit.ledger.postgres.PostgresRecordStore`.
* :class:`LogStore`: :class:`~cerkit.ledger.sqlite_log.SQLiteLogStore`,
  :class:`~cerkit.ledger.postgres_log.PostgresLogStore`.
* :class:`TokenStore`: :class:`~cerkit.ledger.sqlite_tokens.SQLiteTokenStore`,
  :class:`~cerkit.ledger.postgres_tokens.PostgresTokenStore`.

The three can share one database (their tables do not collide). The local recorder, the
CLI and the attestation node talk to these interfaces only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from cerkit.errors import UsageError


@dataclass(frozen=True, slots=True)
class RecordQuery:
    """Filters for :meth:`RecordStore.query`; ``None`` means "any"."""

    entry_point: str | None = None
    model: str | None = None
    execution_key: str | None = None
    since: str | None = None  # ISO 8601, compared with createdAt
    until: str | None = None
    limit: int | None = None


@dataclass(frozen=True, slots=True)
class BrowseQuery:
    """One page of :meth:`RecordStore.browse`, newest ``createdAt`` first; ``None`` is "any".

    Keyset pagination: ``before`` is the ``(createdAt, certificateHash)`` of the last row of
    the previous page (the next, older page), ``after`` that of the first row of the current
    page (the page before it, newer); either way every page is one index range scan
    however deep it is, and the rows still come newest first. ``verdict`` is one of
    :data:`OUTPUT_VERDICTS`.
    """

    entry_point: str | None = None
    model: str | None = None
    status: str | None = None
    verdict: str | None = None
    execution_id: str | None = None
    prefix: str | None = None  # a certificateHash prefix (``sha256:`` may be omitted)
    since: str | None = None  # ISO 8601, compared with createdAt (inclusive)
    until: str | None = None
    before: tuple[str, str] | None = None
    after: tuple[str, str] | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class BrowseRow:
    """A record's indexed columns, as a ledger page lists them (no record is parsed)."""

    certificate_hash: str
    created_at: str
    entry_point: str | None
    model: str | None
    status: str | None
    execution_id: str | None
    execution_key: str | None
    verdict: str | None = None  # one of OUTPUT_VERDICTS; None without an execution key


#: A stored record's output verdict, kept in an indexed column so the ledger can filter on
#: it (docs/portal.md, "Verdict"): how its output compares with the record just before it
#: (by ``createdAt``, ties by certificateHash) among the records of its execution key.
#: ``first``: no earlier record has its key; ``same``: the same outputHash as that record;
#: ``changed``: a different one, an output change point (docs/drift.md §5).
OUTPUT_VERDICTS: Final[tuple[str, ...]] = ("first", "same", "changed")


@dataclass(frozen=True, slots=True)
class RecordColumns:
    """The facts of a record the stores keep in indexed columns (strings, or None)."""

    entry_point: str | None  # execution.entryPoint, else the prompt (it names the call)
    model: str | None
    provider: str | None
    kind: str | None
    status: str | None
    execution_id: str | None


def record_columns(bundle: Mapping[str, Any]) -> RecordColumns:
    """The :class:`RecordColumns` of a parsed record, as every store indexes them."""
    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    execution = snapshot.get("execution")
    execution = execution if isinstance(execution, Mapping) else {}
    values = (
        execution.get("entryPoint") or snapshot.get("prompt"),
        snapshot.get("model"),
        snapshot.get("provider"),
        execution.get("kind"),
        execution.get("status"),
        snapshot.get("executionId"),
    )
    return RecordColumns(*(v if isinstance(v, str) else None for v in values))


#: One record as the drift pass reads it (docs/drift.md §4):
#: ``(certificateHash, executionKey, createdAt, outputHash)``, outputHash ``""`` when absent.
IndexRow = tuple[str, str, str, str]
#: A replay (``meta.replay``, docs/drift.md §4c) as the drift pass reads it: the
#: :data:`IndexRow` and then the certificateHash it re-ran (``""`` when it names none).
ReplayRow = tuple[str, str, str, str, str]


class RecordStore(Protocol):
    """Content-addressed record storage, keyed by ``certificateHash``."""

    def put(self, bundle: Mapping[str, Any]) -> bool:
        """Store a sealed bundle atomically; return False when it was already stored.
        Storing the same certificateHash twice keeps one record (meta is merged)."""
        ...

    def put_later(self, bundle: Mapping[str, Any]) -> None:
        """Store a sealed bundle, possibly later (a group commit): the recorder's write.

        A queued record is committed by :meth:`flush`, :meth:`close` and any read on this
        store object; a store with no queue writes it at once."""
        ...

    def get(self, certificate_hash: str) -> dict[str, Any] | None: ...

    def find(self, prefix: str) -> list[str]:
        """Up to 10 stored certificateHashes starting with ``prefix`` (``sha256:`` may be
        omitted), in order; see :func:`resolve_certificate_hash`."""
        ...

    def query(self, query: RecordQuery = RecordQuery()) -> Iterator[dict[str, Any]]:
        """Records matching ``query``, oldest ``createdAt`` first."""
        ...

    def index_rows(
        self, since: str | None = None, until: str | None = None, key: str | None = None
    ) -> Iterator[IndexRow]:
        """The compact row of every record, from columns the store keeps, without reading
        or parsing any record: each execution key's records in ``createdAt`` order (keys in
        no promised order). ``since``/``until`` bound ``createdAt`` (inclusive); ``key``
        keeps the execution keys starting with it. Records queued for a write on this
        store object are committed first. Records with no execution key are left out, and
        so are replays (``meta.replay`` set): a re-run is not a new execution."""
        ...

    def replay_rows(
        self, since: str | None = None, until: str | None = None, key: str | None = None
    ) -> Iterator[ReplayRow]:
        """The row of every replay (``meta.replay`` set), with the certificateHash it
        re-ran, filtered as :meth:`index_rows`: the evidence of known nondeterminism."""
        ...

    def browse(self, query: BrowseQuery) -> list[BrowseRow]:
        """One page of records matching ``query``, newest ``createdAt`` first (ties by
        certificateHash, descending), read from indexed columns alone."""
        ...

    def set_meta(self, certificate_hash: str, meta: Mapping[str, Any]) -> None:
        """Replace a stored record's unhashed ``meta`` (signatures, attestation)."""
        ...

    def count(self) -> int: ...

    def flush(self) -> None:
        """Commit every queued record and make the store durable up to here."""
        ...

    def close(self) -> None:
        """Commit every queued record and release the store's connections."""
        ...


def resolve_certificate_hash(store: RecordStore, ref: str) -> str | None:
    """The one stored certificateHash that ``ref`` names, or None when none does.

    ``ref`` is a certificateHash (``sha256:<hex>``), its bare hex, or a prefix of either.

    Raises:
        UsageError: the prefix matches more than one record.
    """
    matches = store.find(ref)
    if len(matches) > 1:
        raise UsageError(f"{ref!r} matches {len(matches)} records; give more digits")
    return matches[0] if matches else None


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One leaf of the transparency log and the receipt facts the node signed for it.

    The leaf data is ``certificate_hash`` as UTF-8 (docs/trust.md); ``timestamp``, ``kid``
    and ``signature`` are the node's signed receipt, kept so that a repeated attestation
    returns the very same receipt and an auditor can pin down a rewritten entry.
    """

    index: int
    certificate_hash: str
    timestamp: str
    kid: str
    signature: str


#: Called by :meth:`LogStore.append` once an index is assigned, inside the append
#: transaction: it dates and signs the receipt for ``(index, certificate_hash)``.
Stamp = Callable[[int, str], LogEntry]


@dataclass(frozen=True, slots=True)
class Appended:
    """What one :meth:`LogStore.append` committed.

    ``entries`` lines up with the submitted items (an item already in the log gets its
    existing entry); ``size`` is the log size right after the commit.
    """

    entries: list[LogEntry]
    created: list[bool]
    size: int


@dataclass(frozen=True, slots=True)
class Token:
    """A bearer token's stored facts; the secret itself is never stored, only its SHA-256."""

    token_id: str
    name: str
    created_at: str
    revoked_at: str | None = None


class LogStore(Protocol):
    """The append-only sequence of leaves behind the transparency log (RFC 9162 §2.1).

    Indices are assigned by the store inside its append transaction, gap-free and in
    commit order, so several node replicas can share one database (the log is sequenced in
    the database, not in process memory). An append returns only once it is durable.
    """

    def append(self, items: Sequence[tuple[str, bytes]], stamp: Stamp) -> Appended:
        """Append ``(certificate_hash, bundle_json)`` items in one durable transaction.

        Idempotent: a certificateHash already in the log keeps its index and receipt.
        """
        ...

    def size(self) -> int: ...

    def entry(self, certificate_hash: str) -> LogEntry | None: ...

    def bundle(self, certificate_hash: str) -> bytes | None:
        """The bundle JSON stored with an entry, as it was attested."""
        ...

    def entries(self, start: int, end: int) -> list[LogEntry]:
        """Entries with indices in ``[start, end)``, in index order."""
        ...

    def find(self, prefix: str) -> list[str]:
        """Up to 10 logged certificateHashes starting with ``prefix`` (``sha256:`` may be
        omitted), in order, as :meth:`RecordStore.find`."""
        ...

    def hashes(self, start: int, end: int) -> list[tuple[int, str]]:
        """``(index, certificateHash)`` for indices in ``[start, end)``, in index order: the
        leaf data alone, for rebuilding the tree quickly."""
        ...

    def ping(self) -> None:
        """Raise :class:`~cerkit.errors.OperationalError` when the store is unreachable."""
        ...

    def close(self) -> None: ...


class TokenStore(Protocol):
    """The node's bearer tokens (:mod:`cerkit.node.tokens`), stored by the SHA-256 of the
    secret, never the secret itself."""

    def add_token(self, token: Token, token_hash: str) -> None: ...

    def tokens(self) -> list[Token]:
        """Every token, oldest first."""
        ...

    def revoke_token(self, token_id: str, revoked_at: str) -> bool:
        """Revoke an active token; False when no active token has that id."""
        ...

    def token_for_hash(self, token_hash: str) -> Token | None: ...

    def close(self) -> None: ...
