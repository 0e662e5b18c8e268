"""Opening what a node runs on besides its stores: its identity (key files).

The node's log and token stores open through :mod:`cerkit.ledger.factory`
(:func:`~cerkit.ledger.factory.open_log_store`, :func:`~cerkit.ledger.factory.open_token_store`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from cerkit.errors import OperationalError, UsageError
from cerkit.jsonio import load_file
from cerkit.keyring import KeyRing
from cerkit.keyring import key_dir as default_key_dir
from cerkit.keys import (
    KeyDocument,
    KeyEntry,
    KeyState,
    ensure_private_key,
    key_id,
    load_private_key,
    public_key_bytes,
)
from cerkit.node.service import NodeIdentity
from cerkit.node.state import checkpoint_path

DEFAULT_KEY: Final[str] = ".cerkit/node.key"
DEFAULT_NODE_ID: Final[str] = "cerkit-node"


class KeySource:
    """Where the node's identity comes from, re-read when its key document changes.

    In order of preference: ``key_dir``, a key directory of ``cerkit keys`` (its active key
    signs, its document with every retired and revoked key is published); ``key_path``, one
    private key file, with ``document_path`` naming a saved key document that lists the
    node's older keys too (the key must be its active key); the default key directory
    ``.cerkit/keys`` when it exists; else ``.cerkit/node.key``, created on first use when
    ``create`` is true.
    """

    def __init__(
        self,
        key_path: str | None,
        document_path: str | None = None,
        node_id: str | None = None,
        *,
        key_dir: str | None = None,
        create: bool = True,
    ) -> None:
        if key_dir is None and key_path is None and KeyRing(default_key_dir()).exists():
            key_dir = str(default_key_dir())
        self.key_dir, self.key_path, self.document_path = key_dir, key_path, document_path
        self.node_id, self.create = node_id, create
        self._stamp: tuple[int, int] | None = None

    @property
    def checkpoint_path(self) -> Path:
        """Where the node keeps its last signed checkpoint (:mod:`cerkit.node.state`)."""
        return checkpoint_path(self.key_dir, self.key_path or DEFAULT_KEY)

    def _watched(self) -> Path | None:
        if self.key_dir is not None:
            return KeyRing(self.key_dir).document_path
        return Path(self.document_path) if self.document_path else None

    def _file_stamp(self) -> tuple[int, int] | None:
        watched = self._watched()
        try:
            st = watched.stat() if watched is not None else None
        except OSError:
            return None
        return None if st is None else (st.st_mtime_ns, st.st_size)

    def changed(self) -> bool:
        """Whether the key document changed since the last :meth:`load` (a cheap ``stat``)."""
        return self._watched() is not None and self._file_stamp() != self._stamp

    def load(self) -> NodeIdentity:
        """The node's signing key and published key document, read now.

        Raises:
            UsageError: the signing key is not the document's active key.
            OperationalError: no key could be read.
            InvalidRecordError: ``KEY_NAME_INVALID``, ``KEY_DOCUMENT_INVALID``.
        """
        self._stamp = self._file_stamp()
        if self.key_dir is not None:
            ring = KeyRing(self.key_dir)
            document = ring.load()
            key = ring.private_key() if document.active is not None else None
            return NodeIdentity(private_key=key, document=document)
        return self._load_key_file()

    def _load_key_file(self) -> NodeIdentity:
        path = Path(self.key_path or DEFAULT_KEY)
        if self.key_path is None and self.create:
            private_key = ensure_private_key(path)
        elif path.exists():
            private_key = load_private_key(path)
        else:
            raise OperationalError(f"no node key at {path}; create one with cerkit keys generate")
        kid = key_id(private_key)
        if self.document_path:
            document = KeyDocument.from_json(load_file(self.document_path))
            active, mine = document.active, document.find(kid)
            if active is None or (mine is not None and mine.state is not KeyState.ACTIVE):
                # this key was retired or revoked: publish the document, sign nothing
                return NodeIdentity(private_key=None, document=document)
            if active.kid != kid:
                raise UsageError(f"key {kid} is not the active key of {self.document_path}")
        else:
            entry = KeyEntry(
                kid=kid, public_key=public_key_bytes(private_key), state=KeyState.ACTIVE
            )
            document = KeyDocument(node_id=self.node_id or DEFAULT_NODE_ID, keys=(entry,))
        return NodeIdentity(private_key=private_key, document=document)


def load_identity(
    key_path: str | None,
    document_path: str | None = None,
    node_id: str | None = None,
    *,
    key_dir: str | None = None,
    create: bool = True,
) -> NodeIdentity:
    """The node's identity, read once (:class:`KeySource` says from where)."""
    return KeySource(key_path, document_path, node_id, key_dir=key_dir, create=create).load()
