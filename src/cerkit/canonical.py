"""Canonical JSON: the exact bytes every cerkit hash is computed over.

Two profiles (docs/spec.md §3):

* ``nexart-v1`` (protocol 1.2.0, the default): byte-for-byte what NexArt's JavaScript
  ``toCanonicalJson`` produces. Keys sorted by UTF-16 code units, numbers formatted as
  ECMAScript ``Number.prototype.toString``, strings escaped as ``JSON.stringify`` escapes
  them. Integers beyond 2^53 are first rounded to the double JavaScript would have parsed.
  Lone surrogates are escaped as ``\\udxxx``, as well-formed ``JSON.stringify`` does.
* ``jcs-v1`` (protocol 1.3.x): RFC 8785, strict. The same output as ``nexart-v1`` for every
  value both accept, but lone surrogates and integers that a double cannot hold exactly are
  rejected instead of being escaped or rounded.

Both reject NaN, infinities, non-string keys and any type that is not JSON.

Two implementations produce the bytes. The fast path hands the value to ``orjson`` (sorted
keys) after one pass that rewrites the few numbers whose ``orjson`` text differs from
ECMAScript's; it is used only where the two are proven equal (ASCII or low-BMP keys, well
formed strings). Everything else takes the exact path, written after the ECMAScript
specification. ``tests/test_canonical.py`` checks that both agree on every vector and on a
randomized corpus, and ``tests/test_nexart_interop.py`` checks both against NexArt's own code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final, Literal

import orjson

from cerkit.errors import CanonicalizationError

Profile = Literal["nexart-v1", "jcs-v1"]
PROFILES: Final[tuple[Profile, ...]] = ("nexart-v1", "jcs-v1")
DEFAULT_PROFILE: Final[Profile] = "nexart-v1"

#: Deepest nesting of arrays and objects canonicalized. JSON documents we read are already
#: limited to this depth by ``cerkit.jsonio``; the constant guards values built in Python.
MAX_DEPTH: Final[int] = 512

_MAX_SAFE_INTEGER: Final[int] = 2**53
_ORJSON_SORTED: Final[int] = orjson.OPT_SORT_KEYS
# Characters at or above U+E000 sort after surrogate pairs in UTF-16 but before astral code
# points in code-point order: the only keys where orjson's order and JavaScript's differ.
_HIGH_BMP: Final[str] = "\ue000"
_SURROGATE = re.compile("[\ud800-\udfff]")
_encode_js_string: Callable[[str], str] = json.encoder.encode_basestring


def canonicalize(value: Any, profile: Profile = DEFAULT_PROFILE) -> bytes:
    """Return the canonical UTF-8 bytes of a JSON value.

    Args:
        value: ``None``, ``bool``, ``int``, ``float``, ``str``, ``list``/``tuple`` or ``dict``
            with ``str`` keys, nested at most :data:`MAX_DEPTH` deep.
        profile: ``"nexart-v1"`` or ``"jcs-v1"``.

    Returns:
        The canonical bytes, without a trailing newline.

    Raises:
        CanonicalizationError: the value has no canonical form under ``profile``.

    >>> canonicalize({"b": 1.0, "a": [1e21, 1e-7, "\\u2028"]})
    b'{"a":[1e+21,1e-7,"\\xe2\\x80\\xa8"],"b":1}'
    """
    if profile not in PROFILES:
        raise CanonicalizationError(f"unknown canonicalization profile {profile!r}")
    strict = profile == "jcs-v1"
    try:
        prepared = _prepare(value, strict, 0)
    except _NeedsExactPath:
        return _exact(value, strict, 0).encode("utf-8")
    try:
        return orjson.dumps(prepared, option=_ORJSON_SORTED)
    except TypeError:
        # orjson refuses lone surrogates; the exact path applies the profile's policy.
        return _exact(value, strict, 0).encode("utf-8")


def canonical_text(value: Any, profile: Profile = DEFAULT_PROFILE) -> str:
    """Return :func:`canonicalize` as a ``str``."""
    return canonicalize(value, profile).decode("utf-8")


def js_number(value: float | int, strict: bool = False) -> str:
    """Format a number as ECMAScript ``Number.prototype.toString`` (ES2023 §6.1.6.1.20).

    Integers are first converted to the nearest double (round half to even, as JavaScript's
    parser does); with ``strict`` an integer that a double cannot hold exactly is an error.
    """
    if isinstance(value, int):
        if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            return str(value)
        try:
            as_double = float(value)
        except OverflowError:
            raise CanonicalizationError("integer too large for a double") from None
        if strict and int(as_double) != value:
            raise CanonicalizationError(
                f"integer {value} is not exactly representable as a double (jcs-v1)"
            )
        value = as_double
    if value != value or value in (float("inf"), float("-inf")):
        raise CanonicalizationError(f"non-finite number {value!r} has no JSON form")
    if value == 0:
        return "0"  # covers -0, which JavaScript prints as "0"
    sign = "-" if value < 0 else ""
    digits, n = _shortest_digits(abs(value))
    k = len(digits)
    if k <= n <= 21:
        text = digits + "0" * (n - k)
    elif 0 < n <= 21:
        text = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        exponent = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        text = f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    return sign + text


def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-trip decimal digits of ``x > 0`` and the exponent ``n``.

    The result means ``0.d1d2...dk × 10**n``; Python's ``repr`` and ECMAScript both pick the
    shortest digit string that round-trips, and the closest one when there are several.
    """
    text = repr(x)
    mantissa, _, exp_text = text.partition("e")
    exponent = int(exp_text) if exp_text else 0
    whole, _, fraction = mantissa.partition(".")
    if fraction == "0":
        fraction = ""
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    n = len(whole) + exponent - leading_zeros
    return digits.rstrip("0") or "0", n


class _NeedsExactPath(Exception):
    """Internal signal: this value cannot take the orjson fast path."""


def _prepare(value: Any, strict: bool, depth: int) -> Any:
    """Return ``value`` ready for orjson, or raise :class:`_NeedsExactPath`.

    Containers are copied only when one of their members had to change; numbers whose
    orjson text differs from ECMAScript's (integral floats, ``-0.0``, integers beyond 2^53)
    are rewritten to ints or pre-formatted fragments.
    """
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value
    if kind is float:
        if value.is_integer():
            if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
                return int(value)
            return orjson.Fragment(js_number(value))
        if value != value or value in (_INF, _NEG_INF):
            raise CanonicalizationError(f"non-finite number {value!r} has no JSON form")
        if -_ORJSON_EXPONENT_BELOW < value < _ORJSON_EXPONENT_BELOW:
            # orjson switches to exponent form below 1e-5, ECMAScript below 1e-6.
            return orjson.Fragment(js_number(value))
        return value
    if kind is int:
        if -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            return value
        return orjson.Fragment(js_number(value, strict))
    if depth >= MAX_DEPTH:
        raise CanonicalizationError(f"value nested deeper than {MAX_DEPTH} levels")
    if kind is dict:
        changed: dict[str, Any] | None = None
        for key, member in value.items():
            if type(key) is not str:
                raise _NeedsExactPath
            if not key.isascii() and max(key) >= _HIGH_BMP:
                raise _NeedsExactPath
            new = _prepare(member, strict, depth + 1)
            if new is not member:
                if changed is None:
                    changed = dict(value)
                changed[key] = new
        return value if changed is None else changed
    if kind is list or kind is tuple:
        items: list[Any] | None = None
        for index, member in enumerate(value):
            new = _prepare(member, strict, depth + 1)
            if new is not member:
                if items is None:
                    items = list(value)
                items[index] = new
        if items is not None:
            return items
        return value if kind is list else list(value)
    raise _NeedsExactPath  # subclasses and foreign types: the exact path decides


_ORJSON_EXPONENT_BELOW: Final[float] = 1e-5
_INF: Final[float] = float("inf")
_NEG_INF: Final[float] = float("-inf")


def _exact(value: Any, strict: bool, depth: int) -> str:
    """The reference serializer, written after ECMAScript ``JSON.stringify``."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _js_string(value, strict)
    if isinstance(value, int | float):
        return js_number(value, strict)
    if depth >= MAX_DEPTH:
        raise CanonicalizationError(f"value nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, list | tuple):
        return "[" + ",".join(_exact(item, strict, depth + 1) for item in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalizationError(f"object key {key!r} is not a string")
        members = sorted(value.items(), key=_utf16_key)
        return (
            "{"
            + ",".join(
                _js_string(key, strict) + ":" + _exact(member, strict, depth + 1)
                for key, member in members
            )
            + "}"
        )
    raise CanonicalizationError(f"type {type(value).__name__} has no JSON form")


def _utf16_key(item: tuple[str, Any]) -> bytes:
    return item[0].encode("utf-16-be", "surrogatepass")


def _js_string(text: str, strict: bool) -> str:
    if _SURROGATE.search(text) is None:
        return str(_encode_js_string(text))
    # Pair up surrogates written as two code points, then escape what is left alone.
    joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    if _SURROGATE.search(joined) is None:
        return str(_encode_js_string(joined))
    if strict:
        raise CanonicalizationError("string contains a lone surrogate (jcs-v1 rejects it)")
    pieces = []
    start = 0
    for match in _SURROGATE.finditer(joined):
        pieces.append(_encode_js_string(joined[start : match.start()])[1:-1])
        pieces.append(f"\\u{ord(match.group()):04x}")
        start = match.end()
    pieces.append(_encode_js_string(joined[start:])[1:-1])
    return '"' + "".join(pieces) + '"'
