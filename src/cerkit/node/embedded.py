"""An attestation node inside the calling process, on the local SQLite store.

The same :class:`~cerkit.node.service.NodeService` that ``cerkit node serve`` runs, minus
HTTP: records are validated, appended to the transparency log in the local store
(``.cerkit/ledger.db`` by default) and come back with a signed receipt, inclusion proof and
checkpoint. ``cerkit demo`` uses it to show sealed, signed, attested and logged records with
no server to start.

>>> # with open_embedded_node() as node:
>>> #     attested = node.attest(bundle)
>>> #     verify_bundle(attested, trust=node.trust()).assurance.label  -> 'logged'
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from cerkit.attestation import attach_attestation
from cerkit.ledger.factory import open_log_store
from cerkit.node.config import load_identity
from cerkit.node.service import NodeService
from cerkit.node.submission import dump_json, parse_submission
from cerkit.verify.trust import TrustStore


class EmbeddedNode:
    """A node without a network: attest records in-process."""

    def __init__(self, service: NodeService) -> None:
        self.service = service

    def __enter__(self) -> EmbeddedNode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def attest(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """A copy of ``bundle`` with ``meta.attestation`` from this node.

        Raises:
            InvalidRecordError: the bundle does not verify (as the HTTP node answers 4xx).
        """
        submission = parse_submission(dump_json(dict(bundle)))
        (result,) = self.service.commit([submission])
        return attach_attestation(copy.deepcopy(dict(bundle)), result.meta())

    @property
    def kid(self) -> str:
        return self.service.identity.kid

    def key_document(self) -> dict[str, Any]:
        """The node's key document, as ``/.well-known/cerkit-node.json`` serves it."""
        return self.service.identity.document.to_json()

    def trust(self) -> TrustStore:
        """A trust store that trusts exactly this node."""
        return TrustStore(node_documents=(self.service.identity.document,))

    def close(self) -> None:
        self.service.store.close()


def open_embedded_node(
    store: str | None = None, key: str | None = None, node_id: str | None = None
) -> EmbeddedNode:
    """Open the node on ``store`` (default: the local store) with the key in ``key``
    (default ``.cerkit/node.key``, created on first use)."""
    identity = load_identity(key, None, node_id or "cerkit-local")
    return EmbeddedNode(NodeService(open_log_store(store), identity))
