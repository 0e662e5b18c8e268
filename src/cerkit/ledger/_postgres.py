"""Connections of the PostgreSQL stores: opening one, and errors that never show a password.

psycopg is the optional ``postgres`` extra, imported only when a PostgreSQL store opens.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from cerkit.errors import OperationalError, Reason, UsageError
from cerkit.ledger._sql import Readers, redact_url, redactor, store_errors

if TYPE_CHECKING:
    import psycopg


def connect(url: str) -> psycopg.Connection[tuple[Any, ...]]:
    """Open an autocommit connection, mapping failures to ``STORE_ERROR``.

    Raises:
        UsageError: psycopg is not installed (the ``postgres`` extra).
        OperationalError: the server cannot be reached or refuses the connection; the
            message never holds the URL's password.
    """
    try:
        import psycopg
    except ImportError:
        raise UsageError(
            "PostgreSQL stores need psycopg (pip install 'cerkit[postgres]')"
        ) from None
    try:
        return psycopg.connect(url, autocommit=True)
    except psycopg.Error as exc:
        reason = redactor(url)(str(exc))
        msg = f"cannot connect to {redact_url(url)}: {reason}"
        raise OperationalError(msg, Reason.STORE_ERROR) from None


class Connections:
    """What a PostgreSQL store talks through: one writer connection (reopened when the server
    dropped it) used under :attr:`lock`, one reader per thread, and the store's errors
    (``"<label>: <what>: <reason>"``, scrubbed of the URL's password)."""

    def __init__(self, url: str, label: str) -> None:
        self.url = url
        self.label = label
        self.scrub = redactor(url)
        self.lock = threading.Lock()
        self._writer = connect(url)
        self._readers: Readers[psycopg.Connection[tuple[Any, ...]]] = Readers(
            lambda: connect(url), lambda conn: not (conn.closed or conn.broken)
        )

    def errors(self, what: str) -> AbstractContextManager[None]:
        import psycopg

        return store_errors(self.label, what, psycopg.Error, self.scrub)

    def failure(self, what: str, exc: Exception) -> OperationalError:
        """The error to raise for ``exc``, a psycopg error while doing ``what``."""
        return OperationalError(f"{self.label}: {what}: {self.scrub(str(exc))}", Reason.STORE_ERROR)

    def writer(self) -> psycopg.Connection[tuple[Any, ...]]:
        """The writer connection (hold :attr:`lock`), reopened when the server dropped it."""
        if self._writer.closed or self._writer.broken:
            self._writer.close()
            self._writer = connect(self.url)
        return self._writer

    def read(self, what: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one read on this thread's connection. A connection the server dropped is
        reopened and the read repeated once (reads are safe to repeat)."""
        import psycopg

        for attempt in (1, 2):
            conn = self._readers.get()
            try:
                return conn.execute(sql, params).fetchall()
            except psycopg.Error as exc:
                if attempt == 1 and conn.broken:
                    continue
                raise self.failure(what, exc) from None
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self.lock:
            self._writer.close()
            self._readers.close(lambda conn: conn.close())
