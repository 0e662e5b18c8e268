"""Layer 4, transparency log: the record is provably in the node's log (docs/trust.md §6).

Steps, numbered as in the code:

1. the attestation carries a log proof (``inclusionProof`` and ``checkpoint``), else the
   layer is SKIPPED (``NOT_PRESENT``);
2. with no trusted node key, only the arithmetic can be checked (a proof that does not lead
   to the checkpoint's root FAILS); the layer is then SKIPPED (``NO_TRUSTED_KEYS``);
3. the checkpoint is a C2SP signed note for the node's log origin, signed by a trusted key
   of that node (key name = origin);
4. the proof's tree size is the checkpoint's;
5. the record's leaf (its certificateHash as UTF-8, RFC 6962 leaf hash) is at ``logIndex``
   under the checkpoint's root (RFC 9162 §2.1.3.2);
6. when the trust store knows a checkpoint of the same log, the two are consistent:
   equal sizes need equal roots, and different sizes need a consistency proof (embedded
   as ``consistencyProof`` or fetched by the injected fetcher), else the step is SKIPPED.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from cerkit.attestation import LogProof, decode_hashes
from cerkit.checkpoint import Checkpoint, open_checkpoint_with, peek_checkpoint
from cerkit.errors import CerkitError, InvalidRecordError, OperationalError, Reason
from cerkit.keys import KeyDocument, KeyState
from cerkit.merkle import record_leaf, verify_consistency, verify_inclusion
from cerkit.verify.receipt import ReceiptOutcome
from cerkit.verify.report import Check, Layer, Report, Status
from cerkit.verify.trust import TrustStore

_L = Layer.TRANSPARENCY_LOG
#: The entry of a record without a log proof (step 1); shared, as entries are immutable.
ABSENT: Final[Check] = Check(_L, "inclusion", Status.SKIPPED, Reason.NOT_PRESENT, "no log proof")


def check_log(
    bundle: Mapping[str, Any], report: Report, trust: TrustStore | None, outcome: ReceiptOutcome
) -> bool:
    """Run the log steps; return True when the record is proved to be in a trusted log."""
    # (1) a log proof is present
    att = outcome.attestation
    if att is None or att.log is None:
        report.checks.append(ABSENT)
        return False
    proof, leaf = att.log, record_leaf(str(bundle.get("certificateHash", "")))
    # (2) without a trusted node key only the arithmetic is checkable
    if outcome.document is None:
        try:
            _check_inclusion(proof, leaf, peek_checkpoint(proof.checkpoint))
        except CerkitError as exc:
            report.add(_L, "inclusion", Status.FAIL, exc.reason, exc.message)
            return False
        report.add(_L, "checkpoint", Status.SKIPPED, Reason.NO_TRUSTED_KEYS, "unsigned root")
        return False
    doc = outcome.document
    try:
        # (3) signed checkpoint, (4) tree size, (5) inclusion
        cp = open_checkpoint_with(proof.checkpoint, doc.log_origin, _verifiers(doc, outcome))
        _check_inclusion(proof, leaf, cp)
    except CerkitError as exc:
        report.add(_L, "inclusion", Status.FAIL, exc.reason, exc.message)
        return False
    report.add(_L, "inclusion", Status.PASS, Reason.OK, f"entry {proof.log_index} of {cp.size}")
    # (6) consistency with a checkpoint the verifier already trusts
    return _check_consistency(cp, att.raw, report, trust, doc, outcome)


def _verifiers(doc: KeyDocument, outcome: ReceiptOutcome) -> list[tuple[str, Ed25519PublicKey]]:
    """Keys that may sign this log's checkpoints: every key not revoked, plus the receipt's
    own key when the receipt layer accepted it as signed before its revocation (a
    checkpoint carries no time of its own; it came with that receipt)."""
    keys = [k for k in doc.keys if k.state is not KeyState.REVOKED]
    if outcome.passed and outcome.entry is not None and outcome.entry not in keys:
        keys.append(outcome.entry)
    return [(doc.log_origin, k.verifier()) for k in keys]


def _check_inclusion(proof: LogProof, leaf: bytes, cp: Checkpoint) -> None:
    if proof.tree_size != cp.size:
        raise InvalidRecordError(
            f"proof is for tree size {proof.tree_size}, checkpoint for {cp.size}",
            Reason.INCLUSION_PROOF_INVALID,
        )
    verify_inclusion(leaf, proof.log_index, cp.size, list(proof.hashes), cp.root)


def _check_consistency(
    cp: Checkpoint,
    block: Mapping[str, Any],
    report: Report,
    trust: TrustStore | None,
    doc: KeyDocument,
    outcome: ReceiptOutcome,
) -> bool:
    known = trust.latest_checkpoint(doc.log_origin, _verifiers(doc, outcome)) if trust else None
    if known is None:
        return True
    other = known[0]
    old, new = (cp, other) if cp.size <= other.size else (other, cp)
    try:
        hashes = _consistency_hashes(old.size, new.size, block, trust, doc.log_origin)
        if hashes is None and old.size != new.size:
            report.add(
                _L,
                "consistency",
                Status.SKIPPED,
                Reason.NOT_PRESENT,
                f"no consistency proof between sizes {old.size} and {new.size}",
            )
            return True
        verify_consistency(old.size, new.size, old.root, new.root, hashes or [])
    except OperationalError as exc:  # the injected fetcher could not get a proof
        report.add(_L, "consistency", Status.ERROR, exc.reason, exc.message)
        return False
    except CerkitError as exc:
        report.add(_L, "consistency", Status.FAIL, Reason.CONSISTENCY_PROOF_INVALID, exc.message)
        return False
    report.add(_L, "consistency", Status.PASS, Reason.OK, f"sizes {old.size} and {new.size}")
    return True


def _consistency_hashes(
    old: int, new: int, block: Mapping[str, Any], trust: TrustStore | None, origin: str
) -> Sequence[bytes] | None:
    if old == new:
        return []
    embedded = block.get("consistencyProof")
    if isinstance(embedded, Mapping) and (embedded.get("fromSize"), embedded.get("toSize")) == (
        old,
        new,
    ):
        return decode_hashes(embedded.get("hashes"), Reason.CONSISTENCY_PROOF_INVALID)
    if trust is not None and trust.consistency_fetcher is not None:
        return trust.consistency_fetcher(old, new, origin)
    return None
