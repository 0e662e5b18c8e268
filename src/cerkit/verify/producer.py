"""Layer 2, producer signature: who produced the record (docs/trust.md §4).

Steps, numbered as in the code:

1. ``meta.producer`` is present (else the layer is SKIPPED, ``NOT_PRESENT``);
2. its signature verifies over ``cerkit.producer.v1\\n || certificateHash`` with the public
   key it carries, whose id is its ``kid`` (a bad signature FAILS even with no trust store:
   the record claims a signature that does not hold);
3. the public key is one the verifier trusts. With no trusted producer keys the layer is
   SKIPPED (``NO_TRUSTED_KEYS``), never PASS: a self-signed key proves nothing about who.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cerkit.errors import CerkitError, Reason
from cerkit.signing import verify_producer
from cerkit.verify.report import Check, Layer, Report, Status
from cerkit.verify.trust import TrustStore

_L = Layer.PRODUCER_SIGNATURE
#: The entry of a record without ``meta.producer`` (step 1); shared, as entries are immutable.
ABSENT: Final[Check] = Check(_L, "producer", Status.SKIPPED, Reason.NOT_PRESENT, "no meta.producer")


def check_producer(bundle: Mapping[str, Any], report: Report, trust: TrustStore | None) -> bool:
    """Run the producer-signature steps; return True when the layer passed."""
    # (1) presence
    meta = bundle.get("meta")
    producer = meta.get("producer") if isinstance(meta, Mapping) else None
    if producer is None:
        report.checks.append(ABSENT)
        return False
    # (2) signature over the certificateHash
    try:
        kid, raw = verify_producer(producer, str(bundle.get("certificateHash", "")))
    except CerkitError as exc:
        report.add(_L, "signature", Status.FAIL, exc.reason, exc.message)
        return False
    # (3) trusted key
    if trust is None or not trust.producer_keys:
        report.add(
            _L,
            "signature",
            Status.SKIPPED,
            Reason.NO_TRUSTED_KEYS,
            f"signature by key {kid} is valid, but no producer key is trusted",
        )
        return False
    if raw not in trust.producer_keys:
        report.add(_L, "producer_key", Status.FAIL, Reason.PRODUCER_KEY_UNTRUSTED, f"key {kid}")
        return False
    report.add(_L, "signature", Status.PASS, Reason.OK, f"signed by trusted key {kid}")
    return True
