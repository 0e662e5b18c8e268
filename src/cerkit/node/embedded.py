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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from cerkit.keys import ensure_private_key, public_key_bytes
from cerkit.ledger.base import RecordStore
from cerkit.ledger.factory import open_log_store
from cerkit.node.config import load_identity
from cerkit.node.service import NodeService, dump_json, parse_submission
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
        out = copy.deepcopy(dict(bundle))
        out["meta"] = {**(out.get("meta") or {}), "attestation": result.meta()}
        return out

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


def attest_demo_records(
    bundles: Sequence[Mapping[str, Any]],
    store: RecordStore,
    url: str,
    report: Callable[[str], None] = print,
) -> bool:
    """The demo's last step: sign each record as its producer, attest it to an embedded
    node on the same store, keep the signed and attested record, and verify it offline
    against the node's key document and the producer key alone.

    Keys live beside a SQLite store (``producer.key`` and ``node.key`` in its folder), or in
    ``.cerkit/`` for a PostgreSQL store. Returns True when every record reached ``logged``.
    """
    from cerkit.signing import sign_bundle
    from cerkit.verify import verify_bundle

    folder = Path(url).parent if "://" not in url else Path(".cerkit")
    producer = ensure_private_key(folder / "producer.key")
    ensure_private_key(folder / "node.key")
    report("signed by a producer key, attested and logged by an in-process node:")
    ok = True
    with open_embedded_node(url, str(folder / "node.key")) as node:
        trust = replace(node.trust(), producer_keys=(public_key_bytes(producer),))
        for number, bundle in enumerate(bundles, 1):
            record = node.attest(sign_bundle(bundle, producer))
            store.put(record)  # the same record; its meta gains producer and attestation
            result = verify_bundle(record, trust=trust)
            index = record["meta"]["attestation"]["logIndex"]
            report(
                f"  {number}. {record['certificateHash'][:19]}  log index {index:<4}"
                f" {result.verdict} {result.assurance.label}"
            )
            ok &= result.ok and result.assurance.label == "logged"
        size = node.service.size
        report(f"  transparency log: {size} entries, checkpoint signed by node key {node.kid}")
    return ok
