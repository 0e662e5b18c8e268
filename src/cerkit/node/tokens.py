"""Bearer tokens for the node's write endpoints: created once, stored hashed, revocable.

A token is ``cerkit_<id>_<secret>``: the id names it in listings and revocations, the
secret is 256 random bits. Only ``sha256(token)`` is stored, so a leaked database does not
leak a usable token; 256 bits of entropy make a plain (unsalted) hash sufficient.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from cerkit.errors import Reason, RequestError
from cerkit.ledger.base import Token, TokenStore
from cerkit.node.limits import MAX_TOKEN_CHARS, TOKEN_CACHE_SECONDS

_PREFIX = "cerkit_"
#: Cached token answers kept at most; a flood of distinct bad tokens only empties the cache.
_MAX_CACHED = 10_000


@dataclass(frozen=True, slots=True)
class NewToken:
    """A freshly created token: ``secret`` is shown once and never stored."""

    token: Token
    secret: str


def token_hash(secret: str) -> str:
    """The stored form of a token: lowercase hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(store: TokenStore, name: str, created_at: str) -> NewToken:
    """Create, store (hashed) and return a new token.

    >>> # secret = create_token(store, "ci", "2026-01-01T00:00:00.000Z").secret
    """
    token_id = secrets.token_hex(6)
    secret = f"{_PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    token = Token(token_id=token_id, name=name, created_at=created_at)
    store.add_token(token, token_hash(secret))
    return NewToken(token, secret)


def revoke_token(store: TokenStore, token_id: str, revoked_at: str) -> None:
    """Revoke a token by id.

    Raises:
        RequestError: ``NOT_FOUND`` when no active token has that id.
    """
    if not store.revoke_token(token_id, revoked_at):
        raise RequestError(f"no active token with id {token_id}", Reason.NOT_FOUND)


def bearer_secret(header: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header (RFC 6750 §2.1), or None."""
    if not header or len(header) > MAX_TOKEN_CHARS:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value or None


class Authenticator:
    """Checks bearer tokens against the store, remembering answers for a short while.

    Both valid and invalid answers are cached for :data:`TOKEN_CACHE_SECONDS`, so a flood
    of bad tokens costs one store read per token per second and a revocation takes effect
    within that time on every replica.
    """

    def __init__(self, store: TokenStore, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._clock = clock
        self._cache: dict[str, tuple[bool, float]] = {}

    def cached(self, secret: str) -> bool | None:
        """The cached answer for ``secret`` if still fresh, else None (ask :meth:`check`).

        The cache is keyed by the token's hash, so no secret is kept in memory."""
        hit = self._cache.get(token_hash(secret))
        if hit is not None and self._clock() - hit[1] < TOKEN_CACHE_SECONDS:
            return hit[0]
        return None

    def check(self, secret: str) -> bool:
        """Ask the store whether ``secret`` is an active token (blocking; run off-loop)."""
        digest = token_hash(secret)
        token = self._store.token_for_hash(digest)
        valid = token is not None and token.revoked_at is None
        if len(self._cache) > _MAX_CACHED:
            self._cache.clear()
        self._cache[digest] = (valid, self._clock())
        return valid
