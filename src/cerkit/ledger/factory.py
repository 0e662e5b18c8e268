"""The one way to open a store: record, log and token stores from a path or URL.

A plain path or ``sqlite:///path`` opens the embedded SQLite backend, ``postgresql://...``
(or ``postgres://``) the PostgreSQL one. With no URL, ``$CERKIT_STORE`` is read, then the
project configuration's ``store.url`` (:mod:`cerkit.config`), and the default is
``.cerkit/ledger.db`` in the working directory. The three stores of one URL share one
database: a node's log and tokens sit beside the records.

>>> import os, tempfile
>>> store = open_record_store(os.path.join(tempfile.mkdtemp(), "ledger.db"))
>>> store.count()
0
>>> store.close()
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Final

from cerkit.errors import UsageError
from cerkit.ledger._sql import redact_url
from cerkit.ledger.base import LogStore, RecordStore, TokenStore

#: Where records go when nothing else is said (relative to the working directory).
DEFAULT_STORE: Final[str] = os.path.join(".cerkit", "ledger.db")
#: The environment variable that overrides the default store.
STORE_ENV: Final[str] = "CERKIT_STORE"
_POSTGRES_SCHEMES: Final[tuple[str, ...]] = ("postgresql://", "postgres://")

_open: dict[str, RecordStore] = {}
_by_spec: dict[tuple[Any, ...], RecordStore] = {}
_open_lock = threading.Lock()


def store_url(url: str | os.PathLike[str] | None = None) -> str:
    """The store URL that ``url`` means: itself, ``$CERKIT_STORE``, the project
    configuration's ``store.url`` (docs/config.md), or the default path.

    Raises:
        UsageError: an unsupported URL scheme (the message never holds a password).
    """
    if url is None or url == "":
        from cerkit.config import project_store

        url = os.environ.get(STORE_ENV) or project_store().url or DEFAULT_STORE
    text = os.fspath(url)
    if text.startswith(_POSTGRES_SCHEMES):
        return text
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") - 1 :] if text.startswith("sqlite:////") else text[10:]
    elif "://" in text:
        raise UsageError(
            f"unsupported store URL {redact_url(text)!r}"
            " (use a path, sqlite:///PATH or postgresql://...)"
        )
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)) or (not path.suffix and not path.exists()):
        path = path / "ledger.db"  # a folder (".cerkit") holds ledger.db
    return str(path.resolve())


def is_postgres(url: str) -> bool:
    """Whether a resolved store URL (:func:`store_url`) names a PostgreSQL database."""
    return url.startswith(_POSTGRES_SCHEMES)


def open_record_store(url: str | os.PathLike[str] | None = None) -> RecordStore:
    """Open a new connection to the record store that ``url`` names (see :func:`store_url`).

    Records this process queued on a shared store (:func:`shared_record_store`, the
    recorder's group commit) are committed first, so the new connection sees every record
    recorded before it.

    Raises:
        UsageError: an unsupported URL scheme, or PostgreSQL without psycopg.
        OperationalError: the store cannot be opened.
    """
    flush_shared_stores()
    return _connect_record_store(store_url(url))


def _connect_record_store(resolved: str) -> RecordStore:
    if is_postgres(resolved):
        from cerkit.ledger.postgres import PostgresRecordStore

        return PostgresRecordStore(resolved)
    from cerkit.ledger.sqlite import SQLiteRecordStore

    return SQLiteRecordStore(resolved)


def open_log_store(url: str | os.PathLike[str] | None = None) -> LogStore:
    """Open the transparency log store that ``url`` names, beside its records.

    Raises:
        UsageError: an unsupported URL scheme, or PostgreSQL without psycopg.
        OperationalError: the store cannot be opened.
    """
    resolved = store_url(url)
    if is_postgres(resolved):
        from cerkit.ledger.postgres_log import PostgresLogStore

        return PostgresLogStore(resolved)
    from cerkit.ledger.sqlite_log import SQLiteLogStore

    return SQLiteLogStore(resolved)


def open_token_store(url: str | os.PathLike[str] | None = None) -> TokenStore:
    """Open the node token store that ``url`` names, beside its log.

    Raises:
        UsageError: an unsupported URL scheme, or PostgreSQL without psycopg.
        OperationalError: the store cannot be opened.
    """
    resolved = store_url(url)
    if is_postgres(resolved):
        from cerkit.ledger.postgres_tokens import PostgresTokenStore

        return PostgresTokenStore(resolved)
    from cerkit.ledger.sqlite_tokens import SQLiteTokenStore

    return SQLiteTokenStore(resolved)


def shared_record_store(spec: Any) -> RecordStore:
    """A shared, long-lived record store for ``spec`` (a URL, a path, ``None`` or a store).

    The recorder writes through one connection per store for the life of the process,
    which is what keeps a recorded call's write cheap. A store object is returned as is.
    """
    if spec is not None and not isinstance(spec, str | os.PathLike):
        return spec  # type: ignore[no-any-return]
    # Resolving a path touches the file system; a recorded call must not pay for it each
    # time, so the answer is cached for as long as what it depends on stays the same.
    key = (spec, os.environ.get(STORE_ENV), os.getcwd())
    store = _by_spec.get(key)
    if store is not None:
        return store
    resolved = store_url(spec)
    with _open_lock:
        store = _open.get(resolved)
        if store is None:
            store = _open[resolved] = _connect_record_store(resolved)
        _by_spec[key] = store
        return store


def flush_shared_stores() -> None:
    """Write every record queued for a store opened by :func:`shared_record_store`."""
    with _open_lock:
        stores = list(_open.values())
    for store in stores:
        store.flush()


def close_shared_stores() -> None:
    """Close every store opened by :func:`shared_record_store` (tests, processes about to
    fork)."""
    with _open_lock:
        for store in _open.values():
            store.close()
        _open.clear()
        _by_spec.clear()


__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "close_shared_stores",
    "flush_shared_stores",
    "is_postgres",
    "open_log_store",
    "open_record_store",
    "open_token_store",
    "shared_record_store",
    "store_url",
]
