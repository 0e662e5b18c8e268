"""Layer 1, integrity: the record's hashes recompute from its own content.

Steps, numbered as in the code:

1. the envelope has the bundle shape (``bundleType``, ``version``, ``createdAt``...);
2. the snapshot names a supported protocol version, which fixes the canonical profile;
3. the snapshot has NexArt's shape (redacted records may omit prompt, input and output);
4. ``inputHash`` and ``outputHash`` recompute from ``input`` and ``output``;
5. ``certificateHash`` recomputes over the hashed projection of the bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cerkit.canonical import Profile
from cerkit.digest import hash_payload
from cerkit.errors import CerkitError, Reason
from cerkit.record import profile_for
from cerkit.schema import bundle_errors, snapshot_errors
from cerkit.seal import certificate_hash
from cerkit.verify.report import Layer, Report, Status

_L = Layer.INTEGRITY
_REDACTABLE = ("prompt", "input", "output")


def is_redacted(snapshot: Mapping[str, Any]) -> bool:
    """A redacted record keeps ``inputHash``/``outputHash`` but drops ``input``/``output``."""
    return "input" not in snapshot and "output" not in snapshot


def check_integrity(bundle: Any, report: Report) -> bool:
    """Run every integrity step, adding one entry each; return True when all passed."""
    # (1) envelope
    errors = bundle_errors(bundle)
    if errors:
        report.add(_L, "schema", Status.FAIL, Reason.SCHEMA_ERROR, "; ".join(errors))
        return False
    snapshot = bundle["snapshot"]
    if not isinstance(snapshot, Mapping):
        report.add(_L, "schema", Status.FAIL, Reason.SCHEMA_ERROR, "snapshot must be an object")
        return False
    # (2) protocol version
    try:
        profile = profile_for(snapshot)
    except CerkitError as exc:
        report.add(_L, "protocol", Status.FAIL, exc.reason, exc.message)
        return False
    # (3) snapshot shape
    redacted = is_redacted(snapshot)
    errors = snapshot_errors(snapshot, redacted=redacted)
    if errors:
        report.add(_L, "schema", Status.FAIL, Reason.SCHEMA_ERROR, "; ".join(errors))
        return False
    report.add(_L, "schema", Status.PASS, Reason.OK, f"protocol {snapshot['protocolVersion']}")
    # (4) input and output hashes
    ok = True
    if redacted:
        report.add(
            _L,
            "input_output_hashes",
            Status.SKIPPED,
            Reason.REDACTED,
            "input and output are redacted; only their hashes are sealed",
        )
        report.notes.append("redacted record: input and output were removed before sealing")
    else:
        ok &= _check_payload(snapshot, "input", Reason.INPUT_HASH_MISMATCH, profile, report)
        ok &= _check_payload(snapshot, "output", Reason.OUTPUT_HASH_MISMATCH, profile, report)
    # (5) certificate hash
    try:
        expected = certificate_hash(bundle)
    except CerkitError as exc:
        report.add(_L, "certificate_hash", Status.FAIL, exc.reason, exc.message)
        return False
    if expected != bundle["certificateHash"]:
        report.add(
            _L,
            "certificate_hash",
            Status.FAIL,
            Reason.CERTIFICATE_HASH_MISMATCH,
            f"recomputed {expected}",
        )
        return False
    report.add(_L, "certificate_hash", Status.PASS, Reason.OK, expected)
    return ok


def _check_payload(
    snapshot: Mapping[str, Any], name: str, mismatch: Reason, profile: Profile, report: Report
) -> bool:
    try:
        expected = hash_payload(snapshot[name], profile)
    except CerkitError as exc:
        report.add(_L, f"{name}_hash", Status.FAIL, exc.reason, exc.message)
        return False
    if expected != snapshot[f"{name}Hash"]:
        report.add(_L, f"{name}_hash", Status.FAIL, mismatch, f"recomputed {expected}")
        return False
    report.add(_L, f"{name}_hash", Status.PASS, Reason.OK, expected)
    return True
