"""What the SQLite and PostgreSQL backends share: the record-query SQL, the mapping of a
driver's errors to ``STORE_ERROR``, per-thread read connections, and URL redaction.

The two dialects differ in three places only: the parameter mark (``?`` or ``%s``), the
tie-break of equal ``createdAt`` (SQLite's ``rowid``, PostgreSQL's primary key) and how a
prefix is matched (a range SQLite answers from its index, PostgreSQL's ``starts_with``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar
from urllib.parse import parse_qsl, unquote

from cerkit.errors import OperationalError, Reason
from cerkit.ledger.base import BrowseQuery, BrowseRow, RecordQuery

#: How many certificateHashes :meth:`~cerkit.ledger.base.RecordStore.find` returns at most:
#: enough to say "ambiguous", few enough for a short error message.
FIND_LIMIT: Final[int] = 10
#: Sorts after every character of a hash or key (they are ASCII), closing a prefix range.
_LAST: Final[str] = "\uffff"
#: What stands for a password in a redacted URL or message.
_HIDDEN: Final[str] = "***"

C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class Dialect:
    """The few ways the two backends' SQL differs (see the module docstring)."""

    mark: str
    tiebreak: str
    range_prefix: bool

    def prefix(self, column: str, value: str) -> tuple[str, list[Any]]:
        """A clause keeping the rows whose ``column`` starts with ``value``."""
        if self.range_prefix:
            return f"{column} >= {self.mark} AND {column} < {self.mark}", [value, value + _LAST]
        return f"starts_with({column}, {self.mark})", [value]


SQLITE: Final[Dialect] = Dialect(mark="?", tiebreak="rowid", range_prefix=True)
POSTGRES: Final[Dialect] = Dialect(mark="%s", tiebreak="certificate_hash", range_prefix=False)


def _where(clauses: list[tuple[str, list[Any]]]) -> tuple[str, list[Any]]:
    params = [p for _, values in clauses for p in values]
    return (" WHERE " + " AND ".join(c for c, _ in clauses) if clauses else ""), params


def _time_range(
    dialect: Dialect, since: str | None, until: str | None
) -> list[tuple[str, list[Any]]]:
    bounds = (("created_at >=", since), ("created_at <=", until))
    return [(f"{op} {dialect.mark}", [value]) for op, value in bounds if value is not None]


def record_query(select: str, query: RecordQuery, dialect: Dialect) -> tuple[str, list[Any]]:
    """``select`` filtered by ``query``, oldest ``createdAt`` first: SQL and parameters."""
    equal = (
        ("entry_point", query.entry_point),
        ("model", query.model),
        ("execution_key", query.execution_key),
    )
    clauses = [(f"{c} = {dialect.mark}", [v]) for c, v in equal if v is not None]
    where, params = _where(clauses + _time_range(dialect, query.since, query.until))
    sql = f"{select}{where} ORDER BY created_at, {dialect.tiebreak}"
    if query.limit is not None:
        sql += f" LIMIT {int(query.limit)}"
    return sql, params


#: The columns of a :class:`~cerkit.ledger.base.BrowseRow`, in its field order.
BROWSE_COLUMNS: Final[str] = (
    "certificate_hash, created_at, entry_point, model, status, execution_id, execution_key, verdict"
)


def browse_query(query: BrowseQuery, dialect: Dialect) -> tuple[str, list[Any]]:
    """One keyset page of :meth:`~cerkit.ledger.base.RecordStore.browse`: SQL and parameters.

    Newest first; ``before`` continues after the last row shown with a row-value comparison
    both engines answer from the ``(created_at, certificate_hash)`` index. ``after`` reads
    the rows just newer than the first row shown, oldest first: the caller reverses them
    (:func:`browse_rows`)."""
    mark = dialect.mark
    equal = (
        ("entry_point", query.entry_point),
        ("model", query.model),
        ("status", query.status),
        ("verdict", query.verdict),
        ("execution_id", query.execution_id),
    )
    clauses = [(f"{c} = {mark}", [v]) for c, v in equal if v is not None]
    if query.prefix:
        prefix = query.prefix if query.prefix.startswith("sha256:") else "sha256:" + query.prefix
        clauses.append(dialect.prefix("certificate_hash", prefix))
    if query.before is not None:
        clauses.append((f"(created_at, certificate_hash) < ({mark}, {mark})", list(query.before)))
    if query.after is not None:
        clauses.append((f"(created_at, certificate_hash) > ({mark}, {mark})", list(query.after)))
    where, params = _where(clauses + _time_range(dialect, query.since, query.until))
    way = "ASC" if query.after is not None and query.before is None else "DESC"
    order = f" ORDER BY created_at {way}, certificate_hash {way}"
    limit = max(1, min(int(query.limit), 1000))
    return f"SELECT {BROWSE_COLUMNS} FROM records{where}{order} LIMIT {limit}", params


def browse_rows(query: BrowseQuery, rows: list[Any]) -> list[BrowseRow]:
    """The rows of :func:`browse_query`, newest first whichever way they were read."""
    found = [BrowseRow(*row) for row in rows]
    if query.after is not None and query.before is None:
        found.reverse()
    return found


@dataclass(frozen=True, slots=True)
class Placed:
    """Where a record about to be inserted sits in its execution key's chain: its own
    verdict, and the next record's new verdict against it (written once the insert made a
    row: a record stored again changes nothing)."""

    verdict: str | None
    successor: tuple[str, str] | None = None  # (verdict, certificate_hash)

    def update(self, dialect: Dialect) -> tuple[str, list[str]] | None:
        """The statement giving the next record its new verdict, if there is one."""
        if self.successor is None:
            return None
        sql = f"UPDATE records SET verdict = {dialect.mark} WHERE certificate_hash = {dialect.mark}"
        return sql, list(self.successor)


#: Per execution key, ``(created_at, certificate_hash, output_hash)`` of the newest record of
#: that key in the store, as placed in the current write transaction (see :func:`place`).
Tails = dict[str, tuple[str, str, str | None]]


def place(
    run: Callable[[str, list[Any]], list[Any]],
    dialect: Dialect,
    row: tuple[str, str, str | None, str | None],
    tails: Tails | None = None,
) -> Placed:
    """The chain position (:class:`Placed`) of a record about to be inserted, read inside
    the caller's write transaction (verdicts: :data:`~cerkit.ledger.base.OUTPUT_VERDICTS`).

    ``row`` is ``(certificate_hash, created_at, execution_key, output_hash)``; ``run``
    executes one statement and returns its rows. Both neighbours are one seek each in the
    ``records_drift`` index, whose key is ``(execution_key, created_at, certificate_hash)``.

    ``tails``, one per write transaction (SQLite only: its text order is Python's), skips
    the lookup for a record that comes after the newest record of its key: a recorder's
    batch is mostly runs of one function in time order, each the new newest of its key.
    """
    cert, created, key, output = row
    if key is None:
        return Placed(None)
    tail = None if tails is None else tails.get(key)
    if tails is not None and tail is not None and (created, cert) > tail[:2]:
        tails[key] = (created, cert, output)
        return Placed(_judge(tail[2], output))
    verdict, successor = "first", None
    for side, neighbour, neighbour_output in run(
        _neighbours(dialect.mark), [key, created, cert] * 2
    ):
        if side == 0:
            verdict = _judge(neighbour_output, output)
        else:
            successor = (_judge(output, neighbour_output), neighbour)
    if tails is not None:
        if successor is None:
            tails[key] = (created, cert, output)
        else:
            tails.pop(key, None)
    return Placed(verdict, successor)


@functools.cache
def _neighbours(mark: str) -> str:
    """Both neighbours in one statement (one round trip): side 0 older, side 1 newer."""
    near = (
        f"SELECT certificate_hash, output_hash, created_at FROM records"
        f" WHERE execution_key = {mark} AND (created_at, certificate_hash) {{}} ({mark}, {mark})"
        " ORDER BY created_at {}, certificate_hash {} LIMIT 1"
    )
    older = near.format("<", "DESC", "DESC")
    newer = near.format(">", "ASC", "ASC")
    return (
        f"SELECT 0, certificate_hash, output_hash FROM ({older}) AS older"
        f" UNION ALL SELECT 1, certificate_hash, output_hash FROM ({newer}) AS newer"
    )


def _judge(before: str | None, after: str | None) -> str:
    return "same" if before == after else "changed"


#: Fills the ``verdict`` column of every keyed record at once (a store written before it
#: existed): window functions both engines run, over the ``records_drift`` order.
FILL_VERDICTS: Final[str] = """UPDATE records SET verdict = chained.verdict FROM (
    SELECT certificate_hash AS cert, CASE
        WHEN row_number() OVER chain = 1 THEN 'first'
        WHEN lag(output_hash) OVER chain = output_hash THEN 'same'
        ELSE 'changed' END AS verdict
    FROM records WHERE execution_key IS NOT NULL
    WINDOW chain AS (PARTITION BY execution_key ORDER BY created_at, certificate_hash)
) AS chained WHERE records.certificate_hash = chained.cert"""


def index_query(
    select: str,
    dialect: Dialect,
    since: str | None,
    until: str | None,
    key: str | None,
    *,
    replays: bool = False,
) -> tuple[str, list[Any]]:
    """The drift pass's rows (:meth:`~cerkit.ledger.base.RecordStore.index_rows`): each
    execution key's rows in time order, ``key`` a prefix of the keys kept. Replays are
    not new executions: left out, or (``replays``) the only rows kept."""
    clauses: list[tuple[str, list[Any]]] = [(f"replay_of IS {'NOT ' if replays else ''}NULL", [])]
    if key:
        clauses.append(dialect.prefix("execution_key", key))
    where, params = _where(clauses + _time_range(dialect, since, until))
    return f"{select}{where} ORDER BY execution_key, created_at", params


def find_query(dialect: Dialect, prefix: str, table: str = "records") -> tuple[str, list[Any]]:
    """The certificateHashes of ``table`` starting with ``prefix`` (``sha256:`` added when
    missing)."""
    if not prefix.startswith("sha256:"):
        prefix = "sha256:" + prefix
    where, params = _where([dialect.prefix("certificate_hash", prefix)])
    sql = f"SELECT certificate_hash FROM {table}{where} ORDER BY certificate_hash"
    return f"{sql} LIMIT {FIND_LIMIT}", params


@contextmanager
def store_errors(
    label: str,
    what: str,
    errors: type[Exception] | tuple[type[Exception], ...],
    scrub: Callable[[str], str] = str,
) -> Iterator[None]:
    """Re-raise a driver's ``errors`` as ``STORE_ERROR``: ``"<label>: <what>: <reason>"``,
    the reason passed through ``scrub`` (which hides a URL's password)."""
    try:
        yield
    except errors as exc:
        raise OperationalError(f"{label}: {what}: {scrub(str(exc))}", Reason.STORE_ERROR) from None


class _Slot(threading.local):
    conn: Any = None


class Readers(Generic[C]):
    """One read connection per thread, opened on first use and closed together.

    ``usable`` says whether a thread's connection can still serve (a PostgreSQL connection
    the server dropped is replaced)."""

    def __init__(self, connect: Callable[[], C], usable: Callable[[C], bool]) -> None:
        self._connect = connect
        self._usable = usable
        self._slot = _Slot()
        self._lock = threading.Lock()
        self._all: list[C] = []

    def get(self) -> C:
        conn: C | None = self._slot.conn
        if conn is None or not self._usable(conn):
            conn = self._connect()
            self._slot.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self, close: Callable[[C], None]) -> None:
        with self._lock:
            for conn in self._all:
                close(conn)
            self._all.clear()


def _passwords(url: str) -> list[str]:
    """The password of a store URL, from ``user:password@`` and ``?password=``, as written
    and percent-decoded, longest first."""
    rest = url.partition("://")[2]
    head, _, query = rest.partition("?")
    found = []
    if "@" in head:
        userinfo = head.rpartition("@")[0]
        if ":" in userinfo:
            found.append(userinfo.partition(":")[2])
    for name, value in parse_qsl(query, keep_blank_values=False):
        if name.lower() == "password":
            found.append(value)
    for raw in query.split("&"):
        name, _, value = raw.partition("=")
        if name.lower() == "password":
            found.append(value)
    found += [unquote(value) for value in found]
    return sorted({v for v in found if v}, key=len, reverse=True)


def redactor(url: str) -> Callable[[str], str]:
    """A function that replaces ``url``'s password, wherever it appears in a text."""
    passwords = _passwords(url)

    def scrub(text: str) -> str:
        for password in passwords:
            text = text.replace(password, _HIDDEN)
        return text

    return scrub


def redact_url(url: str) -> str:
    """``url`` with its password (``user:password@``, ``?password=``) replaced by ``***``."""
    return redactor(url)(url)
