"""The node's bearer tokens in SQLite (:class:`~cerkit.ledger.base.TokenStore`).

The ``node_tokens`` table usually sits in the same file as the log and the records (a node
opens one store URL); writes are committed with ``synchronous=FULL``, so a revocation
survives a crash.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Final

from cerkit.ledger._sqlite_files import open_tables, sqlite_errors
from cerkit.ledger.base import Token

_SCHEMA: Final[str] = """
CREATE TABLE IF NOT EXISTS node_tokens (
    token_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
"""
_COLUMNS: Final[str] = "token_id, name, created_at, revoked_at"


class SQLiteTokenStore:
    """Tokens in one SQLite file: writes on one connection under a lock, reads on one
    connection per thread (the node checks tokens off its event loop)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._writer, self._readers = open_tables(self.path, _SCHEMA, "token store")
        self._lock = threading.Lock()

    def _errors(self, what: str) -> AbstractContextManager[None]:
        return sqlite_errors("token store", what)

    def add_token(self, token: Token, token_hash: str) -> None:
        with self._lock, self._errors("add token"):
            self._writer.execute(
                "INSERT INTO node_tokens VALUES (?, ?, ?, ?, ?)",
                (token.token_id, token_hash, token.name, token.created_at, token.revoked_at),
            )

    def tokens(self) -> list[Token]:
        sql = f"SELECT {_COLUMNS} FROM node_tokens ORDER BY created_at"
        with self._errors("list tokens"):
            return [Token(*row) for row in self._readers.get().execute(sql)]

    def revoke_token(self, token_id: str, revoked_at: str) -> bool:
        with self._lock, self._errors("revoke token"):
            cursor = self._writer.execute(
                "UPDATE node_tokens SET revoked_at = ? WHERE token_id = ? AND revoked_at IS NULL",
                (revoked_at, token_id),
            )
            return cursor.rowcount > 0

    def token_for_hash(self, token_hash: str) -> Token | None:
        sql = f"SELECT {_COLUMNS} FROM node_tokens WHERE token_hash = ?"
        with self._errors("read token"):
            row = self._readers.get().execute(sql, (token_hash,)).fetchone()
        return None if row is None else Token(*row)

    def close(self) -> None:
        with self._lock:
            self._writer.close()
            self._readers.close(sqlite3.Connection.close)
