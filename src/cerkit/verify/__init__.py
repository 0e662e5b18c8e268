"""Verification of CER bundles, layer by layer (docs/spec.md §6).

:func:`verify_bundle` returns a :class:`Report`; ``report.raise_for_failure()`` raises.
Verification is offline and fails closed: a layer with nothing to check against is SKIPPED,
never PASS, and the assurance level only counts layers that passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cerkit.verify.integrity import check_integrity
from cerkit.verify.report import Assurance, Check, Layer, Report, Status


def verify_bundle(bundle: Any, *, source: str = "") -> Report:
    """Verify one parsed bundle and return its report.

    >>> verify_bundle({"bundleType": "nope"}).verdict
    'FAILED'
    """
    cert = bundle.get("certificateHash", "") if isinstance(bundle, Mapping) else ""
    report = Report(certificate_hash=cert if isinstance(cert, str) else "", source=source)
    check_integrity(bundle, report)
    return report


__all__ = ["Assurance", "Check", "Layer", "Report", "Status", "verify_bundle"]
