"""Canonical JSON: the exact bytes every cerkit hash is computed over.

Two profiles (docs/spec.md §3):

* ``nexart-v1`` (protocol 1.2.0, the default): byte-for-byte what NexArt's JavaScript
  ``toCanonicalJson`` produces. Keys sorted by UTF-16 code units, numbers formatted as
  ECMAScript ``Number.prototype.toString``, strings escaped as ``JSON.stringify`` escapes
  them. Integers beyond 2^53 are first rounded to the double JavaScript would have parsed.
  Lone surrogates are escaped as ``\\udxxx``, as well-formed ``JSON.stringify`` does.
* ``jcs-v1`` (protocol 1.3.x): RFC 8785, strict. The same output as ``nexart-v1`` for every
  value both accept, but lone surrogates are rejected instead of being escaped, and so is an
  integer beyond 2^53 unless its text reads back as the same double (``1152921504606847000``
  and ``1152921504606846976`` both are 2^60; ``9007199254740993`` is not 2^53 + 1 to a
  double): the output of either profile is always valid ``jcs-v1`` input.

Both reject NaN, infinities, non-string keys and any type that is not JSON.

Two implementations produce the bytes. The exact path below is written after the
ECMAScript specification and handles everything. A private fast path
(:mod:`cerkit._canonical_fast`: orjson, after rewriting the few numbers it prints differently)
answers first for the values it can prove equal and declines the rest; tests check that the
two agree on every input class.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from cerkit._canonical_fast import CanonicalFragment, canonical_bytes
from cerkit._jsformat import js_number, js_string, utf16_sort_key
from cerkit.errors import CanonicalizationError

Profile = Literal["nexart-v1", "jcs-v1"]
PROFILES: Final[tuple[Profile, ...]] = ("nexart-v1", "jcs-v1")
DEFAULT_PROFILE: Final[Profile] = "nexart-v1"

#: Deepest nesting of arrays and objects canonicalized. JSON documents we read are already
#: limited to this depth by ``cerkit.jsonio``; the constant guards values built in Python.
MAX_DEPTH: Final[int] = 512


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
    strict = profile != "nexart-v1" and _is_strict(profile)
    data = canonical_bytes(value, strict)
    if data is None:
        data = _exact_text(value, strict).encode("utf-8")
    return data


def canonicalize_exact(value: Any, profile: Profile = DEFAULT_PROFILE) -> bytes:
    """The exact (reference) path alone, written after ECMAScript ``JSON.stringify``."""
    return _exact_text(value, _is_strict(profile)).encode("utf-8")


def canonical_text(value: Any, profile: Profile = DEFAULT_PROFILE) -> str:
    """Return :func:`canonicalize` as a ``str``."""
    return canonicalize(value, profile).decode("utf-8")


def _is_strict(profile: str) -> bool:
    if profile == "nexart-v1":
        return False
    if profile == "jcs-v1":
        return True
    raise CanonicalizationError(f"unknown canonicalization profile {profile!r}")


def _exact_text(value: Any, strict: bool) -> str:
    parts: list[str] = []
    _exact(value, strict, 0, parts)
    return "".join(parts)


def _exact(value: Any, strict: bool, depth: int, out: list[str]) -> None:
    """The reference serializer, written after ECMAScript ``JSON.stringify``.

    Appends to ``out`` and loops explicitly (no generator frames), so :data:`MAX_DEPTH`
    levels stay well inside Python's recursion limit.
    """
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, CanonicalFragment):
        out.append(value.data.decode("utf-8"))
    elif isinstance(value, str):
        out.append(js_string(value, strict))
    elif isinstance(value, int | float):
        out.append(js_number(value, strict))
    elif depth >= MAX_DEPTH:
        raise CanonicalizationError(f"value nested deeper than {MAX_DEPTH} levels")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _exact(item, strict, depth + 1, out)
        out.append("]")
    elif isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise CanonicalizationError(f"object key {key!r} is not a string")
        out.append("{")
        for index, (key, member) in enumerate(sorted(value.items(), key=utf16_sort_key)):
            if index:
                out.append(",")
            out.append(js_string(key, strict))
            out.append(":")
            _exact(member, strict, depth + 1, out)
        out.append("}")
    else:
        raise CanonicalizationError(f"type {type(value).__name__} has no JSON form")


__all__ = [
    "DEFAULT_PROFILE",
    "MAX_DEPTH",
    "PROFILES",
    "CanonicalFragment",
    "Profile",
    "canonical_text",
    "canonicalize",
    "canonicalize_exact",
    "js_number",
]
