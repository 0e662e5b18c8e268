"""Verification of CER bundles, layer by layer (docs/spec.md §6).

:func:`verify_bundle` returns a :class:`Report`; ``report.raise_for_failure()`` raises.
Verification is offline and fails closed: a layer with nothing to check against is SKIPPED,
never PASS, and the assurance level only counts layers that passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cerkit.digest import is_digest
from cerkit.disclosure.commitments import FIELD
from cerkit.disclosure.redact import is_redacted_copy
from cerkit.verify import log, producer, receipt
from cerkit.verify._copy_integrity import check_copy_integrity
from cerkit.verify.disclosure import check_disclosure
from cerkit.verify.integrity import check_integrity
from cerkit.verify.log import check_log
from cerkit.verify.producer import check_producer
from cerkit.verify.receipt import check_receipt
from cerkit.verify.report import Assurance, Check, Layer, Report, Status
from cerkit.verify.trust import TrustStore


def verify_bundle(
    bundle: Any,
    *,
    source: str = "",
    trust: TrustStore | None = None,
    nexart_compat: bool = False,
) -> Report:
    """Verify one parsed bundle and return its report.

    Layers: (1) integrity, (2) producer signature, (3) node receipt, (4) transparency log,
    (5) disclosure (records sealed as disclosable, and their redacted copies).
    Layers 2-4 need ``trust`` (trusted node key documents, producer keys, checkpoints);
    without it they are SKIPPED with ``NO_TRUSTED_KEYS`` and never PASS.

    Args:
        bundle: the parsed record.
        source: where it came from, for the report.
        trust: what the verifier trusts; None trusts nothing.
        nexart_compat: also accept NexArt's receipt layouts (the report says so).

    >>> verify_bundle({"bundleType": "nope"}).verdict
    'FAILED'
    """
    report = Report(certificate_hash="", source=source)
    if type(bundle) is not dict and not isinstance(bundle, Mapping):
        check_integrity(bundle, report)
        return report
    meta = bundle.get("meta")
    copy = meta is not None and _withholds(bundle)
    intact = check_copy_integrity(bundle, report) if copy else check_integrity(bundle, report)
    # Only a well-formed digest becomes the report's identity and reaches layers 2-4: a
    # hostile value (a lone surrogate, terminal escapes) is named by the schema check alone.
    # Passing layer 1 proves it well formed (it equals the recomputed digest, or the
    # copy's envelope check read it), so only a failed record pays for the pattern match.
    claimed = bundle.get("certificateHash", "")
    if not (intact or is_digest(claimed)):
        return report
    report.certificate_hash = claimed
    if nexart_compat:
        if not copy:
            _compat_note(bundle, report)
        report.notes.append("verified in NexArt compatibility mode")
    else:
        if meta is None or (
            type(meta) is dict and meta.get("producer") is None and meta.get("attestation") is None
        ):
            # No producer signature and no attestation: layers 2-4 would each add their
            # SKIPPED/NOT_PRESENT entry (step 1 of each), whatever the trust store holds.
            report.checks += _NOTHING_PRESENT
            if _disclosable(bundle):
                check_disclosure(bundle, report, False, None)
            return report
    producer_ok = check_producer(bundle, report, trust)
    outcome = check_receipt(bundle, report, trust, nexart_compat=nexart_compat)
    check_log(bundle, report, trust, outcome)
    if _disclosable(bundle):
        check_disclosure(bundle, report, producer_ok, outcome)
    return report


def _disclosable(bundle: Mapping[str, Any]) -> bool:
    snapshot = bundle.get("snapshot")
    return (type(snapshot) is dict or isinstance(snapshot, Mapping)) and FIELD in snapshot


def _withholds(bundle: Mapping[str, Any]) -> bool:
    """A redacted copy with at least one withheld leaf (a copy withholding nothing is the
    full record plus openings, and its certificateHash recomputes)."""
    if not is_redacted_copy(bundle):
        return False
    withheld = bundle["meta"]["disclosure"].get("withheld")
    return not isinstance(withheld, list) or bool(withheld)


def _compat_note(bundle: Mapping[str, Any], report: Report) -> None:
    """In NexArt compatibility mode, say what a NexArt redacted reseal or hash-only record
    leaves unproven."""
    snapshot = bundle.get("snapshot")
    if not isinstance(snapshot, Mapping) or "input" in snapshot:
        return
    meta = bundle.get("meta")
    att = meta.get("attestation") if isinstance(meta, Mapping) else None
    hashes = "inputHash" in snapshot and "outputHash" in snapshot
    proven = (
        "input and output are proven only as inputHash/outputHash (cerkit verify --content "
        "FILE checks given content against them)"
        if hashes
        else "the withheld content cannot be checked"
    )
    if isinstance(att, Mapping) and att.get("mode") == "redacted_reseal":
        report.notes.append(
            "NexArt redacted reseal: a new record without prompt, input and output; its link "
            f"to the original record is not authenticated, and {proven}"
        )
    else:
        report.notes.append(f"hash-only record: {proven}")


_NOTHING_PRESENT = (producer.ABSENT, receipt.ABSENT, log.ABSENT)

__all__ = ["Assurance", "Check", "Layer", "Report", "Status", "TrustStore", "verify_bundle"]
