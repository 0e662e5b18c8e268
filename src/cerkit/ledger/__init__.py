"""Storage backends behind one interface (see :mod:`cerkit.ledger.base`).

:func:`open_store` is the one factory: a plain path or ``sqlite:///path`` opens the embedded
SQLite store (:mod:`cerkit.ledger.sqlite`), ``postgresql://...`` the PostgreSQL one. With no
URL it reads ``CERKIT_STORE`` and falls back to ``.cerkit/ledger.db`` in the working directory.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Final

from cerkit.errors import UsageError
from cerkit.ledger.base import RecordQuery, RecordStore

#: Where records go when nothing else is said (relative to the working directory).
DEFAULT_STORE: Final[str] = os.path.join(".cerkit", "ledger.db")
#: The environment variable that overrides the default store.
STORE_ENV: Final[str] = "CERKIT_STORE"

_open: dict[str, RecordStore] = {}
_by_spec: dict[tuple[Any, ...], RecordStore] = {}
_open_lock = threading.Lock()


def store_url(url: str | os.PathLike[str] | None = None) -> str:
    """The store URL that ``url`` means: itself, ``$CERKIT_STORE``, or the default path."""
    if url is None or url == "":
        url = os.environ.get(STORE_ENV) or DEFAULT_STORE
    text = os.fspath(url)
    if text.startswith(("postgresql://", "postgres://")):
        return text
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") - 1 :] if text.startswith("sqlite:////") else text[10:]
    elif "://" in text:
        raise UsageError(
            f"unsupported store URL {text!r} (use a path, sqlite:///PATH or postgresql://...)"
        )
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)) or (not path.suffix and not path.exists()):
        path = path / "ledger.db"  # a folder (".cerkit") holds ledger.db
    return str(path.resolve())


def open_store(url: str | os.PathLike[str] | None = None) -> RecordStore:
    """Open a new connection to the store that ``url`` names (see :func:`store_url`).

    Raises:
        UsageError: an unsupported URL scheme.
        OperationalError: the store cannot be opened.
    """
    resolved = store_url(url)
    if resolved.startswith(("postgresql://", "postgres://")):
        try:
            from cerkit.ledger.postgres import open_postgres_store  # type: ignore[import-not-found,unused-ignore]
        except ImportError:
            raise UsageError(
                "PostgreSQL record stores are not available in this installation"
            ) from None
        store: RecordStore = open_postgres_store(resolved)
        return store
    from cerkit.ledger.sqlite import SQLiteStore

    return SQLiteStore(resolved)


def store_for(spec: Any) -> RecordStore:
    """A shared, long-lived store for ``spec`` (a URL, a path, ``None`` or a store object).

    The recorder writes through one connection per store for the life of the process,
    which is what keeps a recorded call's write cheap.
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
            store = _open[resolved] = open_store(resolved)
        _by_spec[key] = store
        return store


def flush_shared_stores() -> None:
    """Write every record queued for a store opened by :func:`store_for`."""
    with _open_lock:
        stores = list(_open.values())
    for store in stores:
        flush = getattr(store, "flush", None)
        if flush is not None:
            flush()


def close_shared_stores() -> None:
    """Close every store opened by :func:`store_for` (tests, and processes about to fork)."""
    with _open_lock:
        for store in _open.values():
            store.close()
        _open.clear()
        _by_spec.clear()


__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "RecordQuery",
    "RecordStore",
    "close_shared_stores",
    "flush_shared_stores",
    "open_store",
    "store_for",
    "store_url",
]
