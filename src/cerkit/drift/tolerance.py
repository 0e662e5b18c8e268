"""Tolerances: whether two recorded outputs are close enough to be the same (docs/drift.md §4b).

:func:`compare` walks two recorded outputs (``snapshot.output``, encoded as in
docs/capture.md) side by side:

* numbers: ``|after - before| <= atol + rtol * |before|`` (numpy's ``isclose``, the earlier
  or golden output as the reference); booleans are not numbers, they must be equal;
* lists, and the items of tuples and sets, element-wise (same length); objects key by key
  (same keys);
* arrays, tensors and frames (``{"$type": ..., "data": ...}``) by their ``data`` element-wise,
  their other fields (``dtype``, ``shape``) equal; one recorded by digest only cannot be
  compared, so it is never within tolerance;
* strings after the text mode: ``exact``; ``strip`` (outer whitespace); ``whitespace`` (runs of
  whitespace as one space, stripped); ``casefold`` (``whitespace``, then case-folded);
* anything else must be equal.

A record without ``snapshot.output`` (hash-only content) holds nothing to compare: never
within tolerance, and the reason says so. Pure: values in, a :class:`Closeness` out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cerkit.config import Tolerance

#: What stands for an absent ``snapshot.output``.
ABSENT: Final = object()
HASH_ONLY: Final[str] = "output recorded by hash only (no snapshot.output): no tolerance applies"


@dataclass(frozen=True, slots=True)
class Closeness:
    """The outcome of :func:`compare`: within tolerance or not, and why."""

    within: bool
    reason: str
    max_difference: float = 0.0  # the largest absolute numeric difference seen


def is_exact(tolerance: Tolerance) -> bool:
    """True when ``tolerance`` asks for nothing beyond equality (no rtol, atol or text mode)."""
    return tolerance.rtol == 0.0 and tolerance.atol == 0.0 and tolerance.text == "exact"


def describe(tolerance: Tolerance) -> str:
    return f"rtol={tolerance.rtol:g}, atol={tolerance.atol:g}, text={tolerance.text}"


def normalize(text: str, mode: str) -> str:
    """``text`` under a text mode (see the module docstring).

    >>> normalize("  Hello   World ", "casefold")
    'hello world'
    """
    if mode == "strip":
        return text.strip()
    if mode in ("whitespace", "casefold"):
        text = " ".join(text.split())
        return text.casefold() if mode == "casefold" else text
    return text


def output_of(bundle: Mapping[str, Any]) -> Any:
    """``snapshot.output``, or :data:`ABSENT` when the record holds only its hash."""
    snapshot = bundle.get("snapshot")
    if not isinstance(snapshot, Mapping) or "output" not in snapshot:
        return ABSENT
    return snapshot["output"]


class _Walk:
    """One comparison: the tolerance and the largest difference seen so far."""

    def __init__(self, tolerance: Tolerance) -> None:
        self.tolerance = tolerance
        self.largest = 0.0
        self.at = ""

    def __call__(self, a: Any, b: Any, path: str) -> str | None:
        """None when ``b`` is within tolerance of ``a``, else why not."""
        if _is_number(a) and _is_number(b):
            return self._numbers(float(a), float(b), path)
        if isinstance(a, str) and isinstance(b, str):
            mode = self.tolerance.text
            if normalize(a, mode) == normalize(b, mode):
                return None
            return f"{path}: the text differs" + ("" if mode == "exact" else f" under {mode}")
        if isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return f"{path}: {len(a)} items, then {len(b)}"
            return _first(
                self(x, y, f"{path}[{i}]") for i, (x, y) in enumerate(zip(a, b, strict=True))
            )
        if isinstance(a, dict) and isinstance(b, dict):
            return self._objects(a, b, path)
        return None if a == b and type(a) is type(b) else f"{path}: {_short(a)} -> {_short(b)}"

    def _numbers(self, a: float, b: float, path: str) -> str | None:
        difference = abs(b - a)
        if not math.isfinite(difference):  # inf - inf, a value read back as infinite
            return None if a == b else f"{path}: {a!r} -> {b!r}"
        if difference > self.largest:
            self.largest, self.at = difference, path
        limit = self.tolerance.atol + self.tolerance.rtol * abs(a)
        if difference <= limit:
            return None
        return f"{path}: {a!r} -> {b!r}, |difference| {difference:.3g} > {limit:.3g}"

    def _objects(self, a: dict[str, Any], b: dict[str, Any], path: str) -> str | None:
        if a.get("$type") != b.get("$type"):
            return f"{path}: {a.get('$type') or 'object'} -> {b.get('$type') or 'object'}"
        tagged = "$type" in a
        if tagged and not ("data" in a and "data" in b) and a != b:
            return f"{path}: a {a['$type']} recorded by digest only cannot be compared"
        if set(a) != set(b):
            changed = sorted(set(a) ^ set(b))
            return f"{path}: fields {', '.join(changed[:3])} added or removed"
        skip = {"digest"} if tagged else set()  # the data is compared instead
        keys = [k for k in sorted(a) if k not in skip]
        return _first(self(a[k], b[k], f"{path}.{k}") for k in keys)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _first(reasons: Any) -> str | None:
    return next((r for r in reasons if r is not None), None)


def _short(value: Any, width: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def compare(before: Any, after: Any, tolerance: Tolerance) -> Closeness:
    """Whether ``after`` is within ``tolerance`` of ``before`` (see the module docstring).

    Args:
        before: the earlier (or golden) ``snapshot.output``, or :data:`ABSENT`.
        after: the later one, or :data:`ABSENT`.
        tolerance: rtol, atol and text mode.

    >>> from cerkit.config import Tolerance
    >>> compare([1.0, 2.0], [1.0, 2.0 + 1e-12], Tolerance("*", rtol=1e-9)).within
    True
    >>> compare(0.5, 0.6, Tolerance("*", atol=0.01)).reason
    'output: 0.5 -> 0.6, |difference| 0.1 > 0.01'
    """
    if before is ABSENT or after is ABSENT:
        return Closeness(False, HASH_ONLY)
    walk = _Walk(tolerance)
    why = walk(before, after, "output")
    if why is not None:
        return Closeness(False, why, walk.largest)
    if walk.at:
        reason = f"largest |difference| {walk.largest:.3g} at {walk.at} ({describe(tolerance)})"
    else:
        reason = f"equal under {describe(tolerance)}"
    return Closeness(True, reason, walk.largest)


__all__ = ["ABSENT", "HASH_ONLY", "Closeness", "compare", "describe", "is_exact", "normalize"]
