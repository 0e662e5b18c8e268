"""Where the log page reads a transparency log from: a log store, or a running node.

:class:`LogView` is what the page needs: the tree's size and roots, the latest signed
checkpoint when one is known, the node's key document, and RFC 9162 proofs.

* :class:`StoreLogView` (``cerkit ui --log PATH|URL``): the tree rebuilt from a log store by
  :func:`cerkit.node.selfcheck.rebuild` and extended as the store grows; the signed
  checkpoint and key document are the node's files, when given (the portal signs nothing).
* :class:`NodeLogView` (the node's own portal): the node's tree, its fresh signed checkpoint
  and its key document, through :class:`cerkit.node.service.NodeService`.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from cerkit.audit import hash_leaves
from cerkit.keys import KeyDocument
from cerkit.ledger.base import LogStore
from cerkit.node.selfcheck import REBUILD_PAGE, leaf_data, rebuild

if TYPE_CHECKING:
    from cerkit.node.service import NodeService


class LogView(Protocol):
    """A transparency log as the log page reads it (blocking calls)."""

    def tree_size(self) -> int:
        """The number of leaves now (catching up with the store)."""
        ...

    def root(self, size: int) -> bytes:
        """The RFC 6962 root of the first ``size`` leaves."""
        ...

    def signed_checkpoint(self) -> str | None:
        """The latest signed checkpoint known (a C2SP signed note), or None."""
        ...

    def key_document(self) -> KeyDocument | None:
        """The node's key document, to check checkpoint signatures; None: not known."""
        ...

    def consistency_proof(self, old_size: int, size: int) -> list[bytes]: ...

    def leaf_index(self, certificate_hash: str) -> int | None:
        """The index of a record's leaf, or None when it is not in the log."""
        ...

    def inclusion_proof(self, index: int, size: int) -> list[bytes]: ...


class StoreLogView:
    """A log store's tree, kept in memory and extended as the store grows."""

    def __init__(
        self,
        store: LogStore,
        *,
        checkpoint: str | None = None,
        document: KeyDocument | None = None,
    ) -> None:
        self.store = store
        self._note = checkpoint
        self._document = document
        self._lock = threading.Lock()
        self._tree = rebuild(store)

    def tree_size(self) -> int:
        size = self.store.size()
        with self._lock:
            tree = self._tree
            while tree.size < size:
                stop = min(size, tree.size + REBUILD_PAGE)
                for leaf in hash_leaves(leaf_data(self.store, tree.size, stop)):
                    tree.append(leaf)
            return tree.size

    def root(self, size: int) -> bytes:
        with self._lock:
            return self._tree.root(size)

    def signed_checkpoint(self) -> str | None:
        return self._note

    def key_document(self) -> KeyDocument | None:
        return self._document

    def consistency_proof(self, old_size: int, size: int) -> list[bytes]:
        with self._lock:
            return self._tree.consistency_proof(old_size, size)

    def leaf_index(self, certificate_hash: str) -> int | None:
        entry = self.store.entry(certificate_hash)
        return entry.index if entry is not None else None

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        with self._lock:
            return self._tree.inclusion_proof(index, size)


class NodeLogView:
    """A running node's log: its tree, its signed checkpoint, its key document."""

    def __init__(self, service: NodeService) -> None:
        self.service = service

    def tree_size(self) -> int:
        return self.service.sync()

    def root(self, size: int) -> bytes:
        return self.service.root(size)

    def signed_checkpoint(self) -> str | None:
        return self.service.checkpoint()

    def key_document(self) -> KeyDocument | None:
        return self.service.identity.document

    def consistency_proof(self, old_size: int, size: int) -> list[bytes]:
        return self.service.consistency(old_size, size)

    def leaf_index(self, certificate_hash: str) -> int | None:
        entry = self.service.store.entry(certificate_hash)
        return entry.index if entry is not None else None

    def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        return self.service.inclusion(index, size)
