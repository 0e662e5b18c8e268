"""The node's bearer tokens in PostgreSQL (:class:`~cerkit.ledger.base.TokenStore`).

The table sits beside the log and the records in the database the node replicas share, so
a token created on one replica is accepted by all, and a revocation reaches all of them.
"""

from __future__ import annotations

from typing import Final

from cerkit.ledger._postgres import Connections
from cerkit.ledger.base import Token

_SCHEMA: Final[str] = """CREATE TABLE IF NOT EXISTS node_tokens (
    token_id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT)"""
#: Replicas starting together must not race on CREATE TABLE; the log store's key, so the
#: two never create their tables at once either.
_SCHEMA_LOCK: Final[int] = 0x6365726B
_COLUMNS: Final[str] = "token_id, name, created_at, revoked_at"


class PostgresTokenStore:
    """Tokens in a PostgreSQL database (``postgresql://``); safe to share between replicas."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._db = Connections(url, "token store")
        conn = self._db.writer()
        with self._db.errors("create schema"), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            conn.execute(_SCHEMA)

    def add_token(self, token: Token, token_hash: str) -> None:
        with self._db.lock, self._db.errors("add token"):
            self._db.writer().execute(
                "INSERT INTO node_tokens VALUES (%s, %s, %s, %s, %s)",
                (token.token_id, token_hash, token.name, token.created_at, token.revoked_at),
            )

    def tokens(self) -> list[Token]:
        sql = f"SELECT {_COLUMNS} FROM node_tokens ORDER BY created_at"
        return [Token(*row) for row in self._db.read("list tokens", sql)]

    def revoke_token(self, token_id: str, revoked_at: str) -> bool:
        with self._db.lock, self._db.errors("revoke token"):
            cursor = self._db.writer().execute(
                "UPDATE node_tokens SET revoked_at = %s WHERE token_id = %s AND revoked_at IS NULL",
                (revoked_at, token_id),
            )
            return cursor.rowcount > 0

    def token_for_hash(self, token_hash: str) -> Token | None:
        sql = f"SELECT {_COLUMNS} FROM node_tokens WHERE token_hash = %s"
        rows = self._db.read("read token", sql, (token_hash,))
        return Token(*rows[0]) if rows else None

    def close(self) -> None:
        self._db.close()
