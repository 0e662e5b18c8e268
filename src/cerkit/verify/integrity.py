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
from typing import Any, Final

from cerkit._certificate_fast import checked_certificate_hash
from cerkit._schema_fast import bundle_is_valid, snapshot_is_valid
from cerkit.bundle import PROTOCOL_PROFILES, profile_for
from cerkit.canonical import Profile
from cerkit.digest import payload_digest
from cerkit.errors import CerkitError, Reason
from cerkit.schema import bundle_errors, snapshot_errors
from cerkit.seal import certificate_hash
from cerkit.verify.report import Check, Layer, Report, Status, passed

_L = Layer.INTEGRITY
# Looked up once: enum attribute access is slow, and a passing record adds four checks.
_PASS = Status.PASS
_INPUT_MISMATCH, _OUTPUT_MISMATCH = Reason.INPUT_HASH_MISMATCH, Reason.OUTPUT_HASH_MISMATCH
#: The schema entry of a passing record names its protocol: one shared entry per version.
_SCHEMA_PASSED: Final[Mapping[str, Check]] = {
    version: Check(_L, "schema", Status.PASS, Reason.OK, "protocol " + version)
    for version in PROTOCOL_PROFILES
}


def check_integrity(bundle: Any, report: Report) -> bool:
    """Run every integrity step, adding one entry each; return True when all passed."""
    # (1) envelope. Digests are only typed here: a digest equal to its recomputation in (4)
    # or (5) is well formed, and when a comparison fails the authoritative bundle_errors and
    # snapshot_errors run (after step 5), so a malformed digest is still a SCHEMA_ERROR.
    if not bundle_is_valid(bundle, digests=False):
        errors = bundle_errors(bundle)
        if errors:
            report.add(_L, "schema", Status.FAIL, Reason.SCHEMA_ERROR, "; ".join(errors))
            return False
    snapshot = bundle["snapshot"]
    if type(snapshot) is not dict and not isinstance(snapshot, Mapping):
        report.add(_L, "schema", Status.FAIL, Reason.SCHEMA_ERROR, "snapshot must be an object")
        return False
    # (2) protocol version (a dict look-up; profile_for explains what it does not find)
    protocol = snapshot.get("protocolVersion")
    profile = PROTOCOL_PROFILES.get(protocol) if type(protocol) is str else None
    if profile is None:
        try:
            profile = profile_for(snapshot)
        except CerkitError as exc:
            report.add(_L, "protocol", Status.FAIL, exc.reason, exc.message)
            return False
    # (3) snapshot shape
    # a redacted record keeps inputHash/outputHash but drops input and output
    redacted = "input" not in snapshot and "output" not in snapshot
    if not snapshot_is_valid(snapshot, redacted=redacted, digests=False):
        errors = snapshot_errors(snapshot, redacted=redacted)
        if errors:
            report.add(_L, "schema", Status.FAIL, Reason.SCHEMA_ERROR, "; ".join(errors))
            return False
    # (4) input and output hashes
    payloads: dict[str, bytes | None] = {}
    if redacted:
        found: list[Check] = []
        ok = True
    else:
        found = [
            _check_payload(snapshot, "input", _INPUT_MISMATCH, profile, payloads),
            _check_payload(snapshot, "output", _OUTPUT_MISMATCH, profile, payloads),
        ]
        ok = found[0].status is _PASS and found[1].status is _PASS
    # (5) certificate hash, reusing the canonical bytes of input and output from (4) and
    # the types the schema checks (1) and (3) proved
    found.append(_check_certificate(bundle, profile, payloads, redacted))
    ok = ok and found[-1].status is _PASS
    if not ok:
        errors = bundle_errors(bundle) or snapshot_errors(snapshot, redacted=redacted)
        if errors:  # a malformed digest
            report.add(_L, "schema", Status.FAIL, Reason.SCHEMA_ERROR, "; ".join(errors))
            return False
    _add_checks(report, snapshot["protocolVersion"], redacted, found)
    return ok


def _add_checks(report: Report, version: str, redacted: bool, found: list[Check]) -> None:
    """The schema entry (steps 1-3 passed), then the redaction note and steps 4-5."""
    checks = report.checks
    checks.append(
        _SCHEMA_PASSED.get(version)
        or Check(_L, "schema", Status.PASS, Reason.OK, "protocol " + version)
    )
    if redacted:
        report.add(
            _L,
            "input_output_hashes",
            Status.SKIPPED,
            Reason.REDACTED,
            "input and output are redacted; only their hashes are sealed",
        )
        report.notes.append("redacted record: input and output were removed before sealing")
    checks += found


def _check_payload(
    snapshot: Mapping[str, Any],
    name: str,
    mismatch: Reason,
    profile: Profile,
    payloads: dict[str, bytes | None],
) -> Check:
    try:
        expected, payloads[name] = payload_digest(snapshot[name], profile)
    except CerkitError as exc:
        return Check(_L, f"{name}_hash", Status.FAIL, exc.reason, exc.message)
    if expected != snapshot[name + "Hash"]:
        return Check(_L, f"{name}_hash", Status.FAIL, mismatch, f"recomputed {expected}")
    return passed(_L, name + "_hash", expected)


def _check_certificate(
    bundle: Mapping[str, Any],
    profile: Profile,
    payloads: dict[str, bytes | None],
    redacted: bool,
) -> Check:
    try:
        expected = None
        if redacted or len(payloads) == 2:  # (1) and (3) passed: use what they proved
            # certificate_hash(bundle, profile=profile, payloads=payloads), its private path
            # called directly: this runs for every record verified (bench/seal_verify.py).
            expected = checked_certificate_hash(bundle, profile == "jcs-v1", payloads)
        if expected is None:
            expected = certificate_hash(bundle, profile=profile)
    except CerkitError as exc:
        return Check(_L, "certificate_hash", Status.FAIL, exc.reason, exc.message)
    if expected != bundle["certificateHash"]:
        return Check(
            _L,
            "certificate_hash",
            Status.FAIL,
            Reason.CERTIFICATE_HASH_MISMATCH,
            f"recomputed {expected}",
        )
    return passed(_L, "certificate_hash", expected)
