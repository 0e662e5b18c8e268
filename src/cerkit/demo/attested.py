"""The demo's trust part: sign, attest and log every record, then verify it offline.

Each record made by the earlier parts is signed as its producer, attested to an embedded node
(:mod:`cerkit.node.embedded`) on the same store, kept there signed and attested, and verified
against the node's key document and the producer key alone. Keys live in the demo's home
folder (``producer.key`` and ``node.key`` beside a SQLite store, or in ``.cerkit/``).
"""

from __future__ import annotations

from dataclasses import replace

from cerkit._text import counted
from cerkit.demo.base import Demo


def run(demo: Demo) -> bool:
    """Sign, attest, store and verify ``demo.records``; True when every one reached ``logged``."""
    from cerkit.keys import ensure_private_key, public_key_bytes
    from cerkit.node.embedded import open_embedded_node
    from cerkit.signing import sign_bundle
    from cerkit.verify import verify_bundle

    producer = ensure_private_key(demo.home / "producer.key")
    ensure_private_key(demo.home / "node.key")
    demo.report("signed by a producer key, attested and logged by an in-process node:")
    ok = True
    with open_embedded_node(demo.url, str(demo.home / "node.key")) as node:
        trust = replace(node.trust(), producer_keys=(public_key_bytes(producer),))
        for number, bundle in enumerate(demo.records, 1):
            record = node.attest(sign_bundle(bundle, producer))
            demo.store.put(record)  # the same record; its meta gains producer and attestation
            result = verify_bundle(record, trust=trust)
            index = record["meta"]["attestation"]["logIndex"]
            demo.report(
                f"  {number}. {record['certificateHash'][:19]}  log index {index:<4}"
                f" {result.verdict} {result.assurance.label}"
            )
            ok &= result.ok and result.assurance.label == "logged"
        entries = counted(node.service.size, "entry")
        demo.report(f"  transparency log: {entries}, checkpoint signed by node key {node.kid}")
    return ok
