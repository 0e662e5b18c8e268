"""Layer 1 for a redacted copy (docs/spec.md §6.3): the envelope and the disclosed part of
the snapshot have the record's shape. The certificateHash cannot recompute without the
withheld values: it is SKIPPED (``WITHHELD``) here and bound to the copy by layer 5
(:mod:`cerkit.verify.disclosure`, step 4)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cerkit._schema_fast import snapshot_is_valid
from cerkit.bundle import BUNDLE_TYPE, PROTOCOL_PROFILES
from cerkit.digest import is_digest
from cerkit.disclosure.commitments import MARKER
from cerkit.errors import Reason
from cerkit.schema import snapshot_errors
from cerkit.verify.report import Check, Layer, Report, Status, passed

_ZERO: Final[str] = "sha256:" + "0" * 64
#: The certificateHash entry of every copy; shared, as entries are immutable.
_WITHHELD: Final[Check] = Check(
    Layer.INTEGRITY,
    "certificate_hash",
    Status.SKIPPED,
    Reason.WITHHELD,
    "values are withheld: the copy is bound to this certificateHash by layer 5",
)
#: What stands for a withheld NexArt parameter in the shape check (any other: null).
_STAND_IN: Final[Mapping[str, int]] = {"temperature": 0, "maxTokens": 0}


def check_copy_integrity(bundle: Mapping[str, Any], report: Report) -> bool:
    """Layer 1 for a redacted copy: the envelope and the disclosed part of the snapshot
    have the record's shape; the certificateHash is SKIPPED (``WITHHELD``), left to step 4."""
    I = Layer.INTEGRITY  # noqa: E741 - the layer's initial, as in the other layers
    snapshot = bundle.get("snapshot")
    problems = [] if _envelope_is_valid(bundle, snapshot) else _envelope_problems(bundle, snapshot)
    # The fast twin first, on the copy as it is: when it passes, so does the shadow (a
    # withheld parameter it would stand in for cannot have passed); else the shadow decides.
    if (
        not problems
        and isinstance(snapshot, dict)
        and not snapshot_is_valid(snapshot, redacted=True, dropped_digests=True)
    ):
        shadow = _shape_shadow(snapshot)
        if not snapshot_is_valid(shadow, redacted=True):
            problems = snapshot_errors(shadow, redacted=True)
    if problems:
        report.add(I, "schema", Status.FAIL, Reason.SCHEMA_ERROR, "; ".join(problems))
        return False
    report.checks += (
        passed(I, "schema", f"redacted copy, protocol {bundle['snapshot']['protocolVersion']}"),
        _WITHHELD,
    )
    return True


def _shape_shadow(snapshot: dict[str, Any]) -> dict[str, Any]:
    """What the schema checks of a redacted record see of a copy's snapshot: a withheld
    parameter still counts as present, and a dropped unsalted digest as well formed."""
    shadow = snapshot
    parameters = snapshot.get("parameters")
    if isinstance(parameters, dict) and any(
        isinstance(v, dict) and MARKER in v for v in parameters.values()
    ):
        shadow = {
            **snapshot,
            "parameters": {
                k: (_STAND_IN.get(k) if isinstance(v, dict) and MARKER in v else v)
                for k, v in parameters.items()
            },
        }
    if "inputHash" not in shadow or "outputHash" not in shadow:
        shadow = {"inputHash": _ZERO, "outputHash": _ZERO, **shadow}
    return shadow


def _envelope_is_valid(bundle: Mapping[str, Any], snapshot: Any) -> bool:
    """``_envelope_problems(...) == []`` for the common case, decided fast (False for an
    unusual but valid type: the problems list then decides)."""
    get = bundle.get
    return (
        get("bundleType") == BUNDLE_TYPE
        and type(get("version")) is str
        and type(get("createdAt")) is str
        and is_digest(get("certificateHash"))
        and type(snapshot) is dict
        and type(protocol := snapshot.get("protocolVersion")) is str
        and protocol in PROTOCOL_PROFILES
    )


def _envelope_problems(bundle: Mapping[str, Any], snapshot: Any) -> list[str]:
    problems = []
    if bundle.get("bundleType") != BUNDLE_TYPE:
        problems.append(f"bundleType must be {BUNDLE_TYPE}")
    for name in ("version", "createdAt"):
        if not isinstance(bundle.get(name), str):
            problems.append(f"{name} must be a string")
    if not is_digest(bundle.get("certificateHash")):
        problems.append("certificateHash must be a sha256 digest")
    if not isinstance(snapshot, dict):
        problems.append("snapshot must be an object")
    elif not isinstance(protocol := snapshot.get("protocolVersion"), str) or (
        protocol not in PROTOCOL_PROFILES
    ):  # an unhashable value (a list) is unsupported too, not a crash
        problems.append("unsupported protocolVersion")
    return problems
