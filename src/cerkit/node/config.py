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

DEFAULT_KEY: Final[str] = ".cerkit/node.key"
DEFAULT_NODE_ID: Final[str] = "cerkit-node"


def load_identity(
    key_path: str | None,
    document_path: str | None = None,
    node_id: str | None = None,
    *,
    key_dir: str | None = None,
    create: bool = True,
) -> NodeIdentity:
    """The node's signing key and published key document.

    In order of preference: ``key_dir``, a key directory of ``cerkit keys`` (its active key
    signs, its document with every retired and revoked key is published); ``key_path``, one
    private key file, with ``document_path`` naming a saved key document that lists the
    node's older keys too (the key must be its active key); the default key directory
    ``.cerkit/keys`` when it exists; else ``.cerkit/node.key``, created on first use when
    ``create`` is true.

    Raises:
        UsageError: the signing key is not the document's active key.
        OperationalError: no key could be read.
    """
    if key_dir is None and key_path is None and KeyRing(default_key_dir()).exists():
        key_dir = str(default_key_dir())
    if key_dir is not None:
        ring = KeyRing(key_dir)
        return NodeIdentity(private_key=ring.private_key(), document=ring.load())
    path = Path(key_path or DEFAULT_KEY)
    if key_path is None and create:
        private_key = ensure_private_key(path)
    elif path.exists():
        private_key = load_private_key(path)
    else:
        raise OperationalError(f"no node key at {path}; create one with cerkit keys generate")
    kid = key_id(private_key)
    if document_path:
        document = KeyDocument.from_json(load_file(document_path))
        active = document.active
        if active is None or active.kid != kid:
            raise UsageError(f"key {kid} is not the active key of {document_path}")
    else:
        entry = KeyEntry(kid=kid, public_key=public_key_bytes(private_key), state=KeyState.ACTIVE)
        document = KeyDocument(node_id=node_id or DEFAULT_NODE_ID, keys=(entry,))
    return NodeIdentity(private_key=private_key, document=document)
