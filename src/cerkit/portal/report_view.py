"""A verification report as the portal's templates show it: one row per trust layer first.

:func:`report_view` adds to :meth:`cerkit.verify.report.Report.to_dict` a ``layerRows``
list: each layer's result, the reason code that decided it and a one-line explanation of
what the layer proves, so a reader sees the verdict before the individual checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from cerkit.verify.report import Check, Layer, Report, Status

#: What each trust layer proves, in one line (docs/trust.md).
LAYER_EXPLANATIONS: Final[dict[Layer, str]] = {
    Layer.INTEGRITY: "the certificate hash and the input and output hashes recompute",
    Layer.PRODUCER_SIGNATURE: "the producer's Ed25519 signature binds the certificate hash",
    Layer.NODE_RECEIPT: "an attestation node countersigned the record with a trusted key",
    Layer.TRANSPARENCY_LOG: "the record is in the node's Merkle log under a signed checkpoint",
    Layer.DISCLOSURE: "withheld fields match the commitments the record was sealed with",
}
#: Layers shown even when no check ran in them (a reader should see them SKIPPED).
_ALWAYS: Final[tuple[Layer, ...]] = (
    Layer.INTEGRITY,
    Layer.PRODUCER_SIGNATURE,
    Layer.NODE_RECEIPT,
    Layer.TRANSPARENCY_LOG,
)


def _deciding(checks: list[Check], status: Status) -> Check | None:
    """The first check of the layer whose status is the layer's."""
    return next((c for c in checks if c.status is status), checks[0] if checks else None)


def layer_rows(report: Report) -> list[dict[str, str]]:
    """One row per layer: ``layer``, ``status``, ``reason``, ``explanation``, ``detail``."""
    rows = []
    for layer in Layer:
        checks = [c for c in report.checks if c.layer == layer]
        if not checks and layer not in _ALWAYS:
            continue
        status = report.layer_status(layer)
        check = _deciding(checks, status)
        rows.append(
            {
                "layer": str(layer),
                "status": str(status),
                "reason": str(check.reason) if check else "NOT_PRESENT",
                "explanation": LAYER_EXPLANATIONS[layer],
                "detail": check.message if check else "not checked",
            }
        )
    return rows


def check_rows(checks: Iterable[Check]) -> list[dict[str, Any]]:
    """Checks as the templates' check tables show them."""
    return [c.to_dict() for c in checks]


def report_view(report: Report) -> dict[str, Any]:
    """``report.to_dict()`` plus its ``layerRows``."""
    return {**report.to_dict(), "layerRows": layer_rows(report)}
