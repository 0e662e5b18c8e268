"""Layer 5, disclosure: a redacted copy still verifies against its original (docs/spec.md §6.3).

A record sealed as disclosable carries salted commitments in ``snapshot.disclosure``; a
redacted copy replaces withheld leaves by ``{"$withheld": commitment}`` and carries the salts
of the disclosed ones in ``meta.disclosure.openings``. For a copy,
:func:`cerkit.verify._copy_integrity.check_copy_integrity` stands in for layer 1 (its
certificateHash cannot recompute without the withheld values).

Steps, numbered as in the code:

1. the snapshot carries a well-formed ``disclosure`` block naming exactly its leaves
   (``DISCLOSURE_MALFORMED``); a record without one adds no entry (the layer is SKIPPED);
2. every withheld leaf holds the marker of its own commitment, and every other leaf has a salt
   (``OPENING_MISSING``);
3. every disclosed leaf opens its commitment: its salt matches the salt tag of its path
   (else ``VALUE_MOVED`` when it is the salt of another path, ``SALT_MISMATCH`` otherwise),
   and value, salt and path give the commitment (else ``VALUE_MOVED`` when the value opens
   another path's commitment, ``DISCLOSED_VALUE_MISMATCH`` otherwise);
4. the commitment view is bound to the certificateHash by a producer disclosure binding whose
   key layer 2 trusted, a node binding (``meta.attestation.disclosure``) signed by the key
   of the receipt layer 3 verified, or such a receipt carrying ``disclosureRoot``; a
   different commitments digest fails ``COMMITMENT_SWAPPED``, a different root
   ``DISCLOSURE_ROOT_MISMATCH``; with neither, SKIPPED ``DISCLOSURE_UNBOUND``: the copy is
   only consistent with itself, and nothing proves it belongs to that certificateHash.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cerkit.bundle import PROTOCOL_PROFILES, profile_for
from cerkit.canonical import Profile
from cerkit.disclosure.commitments import (
    FIELD,
    MARKER,
    UNSALTED_DIGESTS,
    Block,
    commit,
    get_at,
    read_block,
    salt_tag,
    view_digests,
)
from cerkit.disclosure.redact import is_redacted_copy
from cerkit.errors import CerkitError, Reason
from cerkit.signing import binding_digests, verify_binding
from cerkit.verify.receipt import ReceiptOutcome
from cerkit.verify.report import Layer, Report, Status

_L = Layer.DISCLOSURE
_STR: Final[frozenset[type]] = frozenset((str,))


def check_disclosure(
    bundle: Mapping[str, Any], report: Report, producer_ok: bool, receipt: ReceiptOutcome | None
) -> bool:
    """Run the disclosure steps; return True when the layer passed."""
    snapshot = bundle["snapshot"]
    if FIELD not in snapshot:
        return False
    # (1) the commitments block
    try:
        block = read_block(snapshot)
        profile = profile_for(snapshot)
    except CerkitError as exc:
        report.add(_L, "commitments", Status.FAIL, exc.reason, exc.message)
        return False
    if is_redacted_copy(bundle):
        info = bundle["meta"]["disclosure"]
        # (2) markers and openings
        if not _check_openings(snapshot, block, info, report):
            return False
        # (3) each disclosed leaf opens its commitment
        if not _check_leaves(snapshot, block, info["openings"], profile, report):
            return False
        report.withheld = list(info["withheld"])
        opened = f"{len(info['openings'])} disclosed values open their commitments; "
    else:
        opened = ""
        report.add(
            _L,
            "commitments",
            Status.SKIPPED,
            Reason.NOT_PRESENT,
            f"full record: {len(block.commitments)} commitments, opened only with the "
            "producer's salts",
        )
    # (4) binding to the certificateHash
    return _check_binding(bundle, report, producer_ok, receipt, opened, block)


def _check_openings(snapshot: Mapping[str, Any], block: Block, info: Any, report: Report) -> bool:
    withheld, openings = info.get("withheld"), info.get("openings")
    if not isinstance(withheld, list) or not isinstance(openings, dict):
        return _fail(
            report,
            "openings",
            Reason.DISCLOSURE_MALFORMED,
            "meta.disclosure needs withheld and openings",
        )
    commitments = block.commitments
    # the withheld paths are strings (hashable) before they are looked up
    if not (
        openings.keys() <= commitments.keys()
        and set(map(type, withheld)) <= _STR
        and commitments.keys() >= (withheld_set := set(withheld))
    ):
        return _fail(
            report,
            "openings",
            Reason.DISCLOSURE_MALFORMED,
            "an opening or withheld path names no commitment",
        )
    if not _check_markers(snapshot, block, withheld_set, openings, report):
        return False
    if not snapshot.keys().isdisjoint(UNSALTED_DIGESTS.values()):  # else none to find
        locators = block.locators
        for path in withheld:
            digest_field = UNSALTED_DIGESTS.get(str(locators[path][0]))
            if digest_field is not None and digest_field in snapshot:
                return _fail(
                    report,
                    "openings",
                    Reason.DISCLOSURE_MALFORMED,
                    f"{digest_field} would confirm a guess of {path}",
                )
    return True


def _check_markers(
    snapshot: Mapping[str, Any],
    block: Block,
    withheld: set[str],
    openings: Mapping[str, Any],
    report: Report,
) -> bool:
    """Each leaf, in order, is either withheld and holds the marker of its own commitment,
    or opened and holds a value."""
    commitments = block.commitments
    for path, locator in block.locators.items():
        value: Any = snapshot
        for step in locator:  # get_at, inlined: this runs for every leaf of every copy
            value = value[step]
        is_marker = isinstance(value, dict) and MARKER in value
        hidden = path in withheld
        if hidden is not is_marker or hidden is (path in openings):
            return _fail(
                report, "openings", Reason.OPENING_MISSING, f"{path}: neither withheld nor opened"
            )
        if is_marker and value != {MARKER: commitments[path]["commitment"]}:
            return _fail(
                report,
                "openings",
                Reason.COMMITMENT_SWAPPED,
                f"{path}: marker is not its commitment",
            )
    return True


def _check_leaves(
    snapshot: Mapping[str, Any],
    block: Block,
    openings: Mapping[str, Any],
    profile: Profile,
    report: Report,
) -> bool:
    commitments = block.commitments
    for path, salt in openings.items():
        value = get_at(snapshot, block.locators[path])
        entry = commitments[path]
        if not isinstance(salt, str) or salt_tag(salt, path, profile) != entry["saltTag"]:
            moved = any(
                isinstance(salt, str) and salt_tag(salt, other, profile) == e["saltTag"]
                for other, e in commitments.items()
                if other != path
            )
            reason = Reason.VALUE_MOVED if moved else Reason.SALT_MISMATCH
            return _fail(report, path, reason, "the salt does not belong to this path")
        if commit(salt, path, value, profile) != entry["commitment"]:
            moved = any(
                commit(s, other, value, profile) == commitments[other]["commitment"]
                for other, s in openings.items()
                if other != path and isinstance(s, str)
            )
            reason = Reason.VALUE_MOVED if moved else Reason.DISCLOSED_VALUE_MISMATCH
            return _fail(report, path, reason, "the disclosed value does not open its commitment")
    return True


def _fail(report: Report, name: str, reason: Reason, message: str) -> bool:
    report.add(_L, name, Status.FAIL, reason, message)
    return False


def _claims(
    bundle: Mapping[str, Any], cert: str, producer_ok: bool, receipt: ReceiptOutcome | None
) -> list[tuple[str, str, str]]:
    """``(commitments, root, by whom)`` of every binding a trusted key signed.

    Raises:
        InvalidRecordError: the binding signature of the trusted producer or of the node
            whose receipt verified does not verify.
    """
    claims: list[tuple[str, str, str]] = []
    meta = bundle.get("meta")
    producer = meta.get("producer") if isinstance(meta, Mapping) else None
    if producer_ok and isinstance(producer, Mapping) and "disclosure" in producer:
        signed_k, signed_r = verify_binding(producer, cert)
        claims.append((signed_k, signed_r, "the trusted producer's signature"))
    if receipt is not None and receipt.passed and receipt.attestation is not None:
        signed = receipt.attestation.receipt
        binding = receipt.attestation.raw.get("disclosure")
        if binding is not None and receipt.entry is not None:  # signed by the receipt's key
            signed_k, signed_r = binding_digests(
                binding,
                cert,
                receipt.entry.verifier(),
                "meta.attestation.disclosure",
                Reason.RECEIPT_SIGNATURE_INVALID,
            )
            claims.append((signed_k, signed_r, "the node's binding"))
        if "disclosureRoot" in signed:
            claims.append(
                (
                    str(signed.get("disclosureCommitments")),
                    str(signed["disclosureRoot"]),
                    "the node receipt",
                )
            )
    return claims


def _check_binding(
    bundle: Mapping[str, Any],
    report: Report,
    producer_ok: bool,
    receipt: ReceiptOutcome | None,
    opened: str,
    block: Block,
) -> bool:
    """Step 4; ``opened`` says what step 3 proved, for the one entry this step adds (the
    layer passes only when the binding holds, whatever the openings proved). The view's
    digests are computed only when a binding names them: with none, nothing is compared."""
    cert = str(bundle["certificateHash"])
    try:
        claims = _claims(bundle, cert, producer_ok, receipt)
        if claims:
            commitments, root = view_digests(bundle, block)
    except CerkitError as exc:
        report.add(_L, "binding", Status.FAIL, exc.reason, exc.message)
        return False
    if not claims:
        report.add(
            _L,
            "binding",
            Status.SKIPPED,
            Reason.DISCLOSURE_UNBOUND,
            f"{opened}no trusted producer signature or node receipt binds these "
            f"commitments to {cert}"
            " (a redacted copy is then only consistent with itself)",
        )
        return False
    for signed_k, signed_r, by in claims:
        if signed_k != commitments:
            report.add(
                _L,
                "binding",
                Status.FAIL,
                Reason.COMMITMENT_SWAPPED,
                f"the commitments are not those {by} binds",
            )
            return False
        if signed_r != root:
            report.add(
                _L,
                "binding",
                Status.FAIL,
                Reason.DISCLOSURE_ROOT_MISMATCH,
                f"the copy's content is not what {by} binds",
            )
            return False
    report.add(_L, "binding", Status.PASS, Reason.OK, f"{opened}bound to {cert} by {claims[0][2]}")
    return True


def check_content(bundle: Any, candidates: list[tuple[str, list[Any]]], report: Report) -> None:
    """``cerkit verify --content``: each given content (with its readings: the parsed JSON
    and the raw text) must be the recorded input or output, by ``inputHash``/``outputHash``.

    This is how a hash-only record (``content="hash"``) proves later what it held."""
    from cerkit.digest import hash_payload

    snapshot = bundle.get("snapshot") if isinstance(bundle, Mapping) else None
    if not isinstance(snapshot, Mapping):
        return
    profile = (
        profile_for(snapshot)
        if snapshot.get("protocolVersion") in PROTOCOL_PROFILES
        else "nexart-v1"
    )
    for name, readings in candidates:
        found = ""
        for value in readings:
            try:
                digest = hash_payload(value, profile)
            except CerkitError:
                continue
            for field in ("inputHash", "outputHash"):
                if snapshot.get(field) == digest:
                    found = field
        if found:
            report.add(
                _L, "content", Status.PASS, Reason.OK, f"{name} is the recorded {found[:-4]}"
            )
        else:
            report.add(
                _L,
                "content",
                Status.FAIL,
                Reason.CONTENT_MISMATCH,
                f"{name} matches neither inputHash nor outputHash",
            )
