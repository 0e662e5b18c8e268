"""Selective disclosure: records that can be shared without their secrets (docs/spec.md §6.3).

- :mod:`cerkit.disclosure.commitments`: salted commitments, leaf paths, the commitment view;
- :mod:`cerkit.disclosure.redact`: disclosable sealing, redacted copies, disclosure;
- :mod:`cerkit.disclosure.privacy`: privacy modes at capture (hash-only content, masks).

Verification of a redacted copy is trust layer 5, :mod:`cerkit.verify.disclosure`.
"""

from __future__ import annotations

from cerkit.disclosure.commitments import FIELD, SCHEME, view_digests
from cerkit.disclosure.redact import (
    disclose,
    is_redacted_copy,
    openings_document,
    read_openings,
    redact,
    seal_disclosable,
)

__all__ = [
    "FIELD",
    "SCHEME",
    "disclose",
    "is_redacted_copy",
    "openings_document",
    "read_openings",
    "redact",
    "seal_disclosable",
    "view_digests",
]
