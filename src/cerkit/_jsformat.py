"""ECMAScript text of JSON scalars: ``Number.prototype.toString`` and ``JSON.stringify``.

The reference formatting both canonical profiles rely on (docs/spec.md §3): numbers as
ECMAScript prints them (ES2023 §6.1.6.1.20), strings as well-formed ``JSON.stringify``
escapes them (ES2019), and object keys ordered by UTF-16 code units.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

from cerkit.errors import CanonicalizationError

_MAX_SAFE: Final[int] = 2**53
_INF: Final[float] = float("inf")
_SURROGATE = re.compile("[\ud800-\udfff]")
# The C encoder escapes exactly what JSON.stringify escapes: '"', '\\' and U+0000-U+001F
# (short forms for \b \t \n \f \r, otherwise \u00xx in lowercase hex).
_encode_js_string: Callable[[str], str] = json.encoder.encode_basestring


def js_number(value: float | int, strict: bool = False) -> str:
    """Format a number as ECMAScript ``Number.prototype.toString`` (ES2023 §6.1.6.1.20).

    Integers are first converted to the nearest double (round half to even, as JavaScript's
    parser does). With ``strict`` (jcs-v1) an integer must read back as the same double: a
    double holds it exactly, or its text is that double's own text (``60874857738513390``,
    which is how ``6.087485773851339e16`` prints); otherwise it is an error, so that no
    digit is silently changed and every output is again valid input (docs/spec.md §3.6).

    >>> js_number(2**53 + 1), js_number(1e21), js_number(-0.0), js_number(1e-7)
    ('9007199254740992', '1e+21', '0', '1e-7')
    """
    if isinstance(value, int):
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return str(int(value))
        try:
            as_double = float(value)
        except OverflowError:
            raise CanonicalizationError("integer too large for a double") from None
        if strict and int(as_double) != value:
            text = _js_double(as_double)
            if text != str(int(value)):
                raise CanonicalizationError(
                    f"integer {value} does not read back as the same double (jcs-v1: "
                    f"the nearest double is {text})"
                )
            return text
        value = as_double
    return _js_double(value)


def _js_double(value: float) -> str:
    """``Number.prototype.toString`` of a double (the body of :func:`js_number`)."""
    if value != value or value in (_INF, -_INF):
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
    leading_zeros = len(whole + fraction) - len(digits)
    n = len(whole) + exponent - leading_zeros
    return digits.rstrip("0") or "0", n


def utf16_sort_key(item: tuple[str, Any]) -> bytes:
    # Big-endian UTF-16 bytes compare exactly as sequences of UTF-16 code units.
    return item[0].encode("utf-16-be", "surrogatepass")


def js_string(text: str, strict: bool) -> str:
    """``JSON.stringify`` of a string (ES2019 well-formed: lone surrogates as ``\\udxxx``)."""
    if _SURROGATE.search(text) is None:
        return str(_encode_js_string(text))
    # A pair written as two code points is one character to JavaScript: join it first.
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
