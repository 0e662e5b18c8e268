"""Where records, the transparency log and node tokens are kept.

* :mod:`cerkit.ledger.base`: the interfaces (:class:`RecordStore`, :class:`LogStore`,
  :class:`TokenStore`) and :func:`resolve_certificate_hash`.
* :mod:`cerkit.ledger.factory`: the one way to open them from a path or URL
  (:func:`open_record_store`, :func:`open_log_store`, :func:`open_token_store`, and the
  recorder's long-lived :func:`shared_record_store`).
* SQLite, the embedded default: :mod:`cerkit.ledger.sqlite` (``SQLiteRecordStore``),
  :mod:`cerkit.ledger.sqlite_log` (``SQLiteLogStore``), :mod:`cerkit.ledger.sqlite_tokens`
  (``SQLiteTokenStore``).
* PostgreSQL, for shared deployments: :mod:`cerkit.ledger.postgres`
  (``PostgresRecordStore``), :mod:`cerkit.ledger.postgres_log` (``PostgresLogStore``),
  :mod:`cerkit.ledger.postgres_tokens` (``PostgresTokenStore``).
"""

from __future__ import annotations

from cerkit.ledger.base import (
    LogStore,
    RecordQuery,
    RecordStore,
    TokenStore,
    resolve_certificate_hash,
)
from cerkit.ledger.factory import (
    DEFAULT_STORE,
    STORE_ENV,
    close_shared_stores,
    flush_shared_stores,
    open_log_store,
    open_record_store,
    open_token_store,
    shared_record_store,
    store_url,
)

__all__ = [
    "DEFAULT_STORE",
    "STORE_ENV",
    "LogStore",
    "RecordQuery",
    "RecordStore",
    "TokenStore",
    "close_shared_stores",
    "flush_shared_stores",
    "open_log_store",
    "open_record_store",
    "open_token_store",
    "resolve_certificate_hash",
    "shared_record_store",
    "store_url",
]
