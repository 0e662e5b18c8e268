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

Two implementations produce the bytes. The fast path (:func:`canonicalize_fast`) hands the
value to ``orjson`` (sorted keys) after one pass that rewrites the few numbers whose
``orjson`` text differs from ECMAScript's; it declines (returns ``None``) wherever the two are
not proven equal: keys at or above U+E000, lone surrogates, subclasses and foreign types,
nesting deeper than orjson allows. Most values need no rewrite; for them a read-only pass
(:func:`_plain`) replaces the rewriting one. The exact path (:func:`canonicalize_exact`) is
written after the ECMAScript specification and handles everything.
``tests/test_canonical.py`` checks that both agree on every vector and on a randomized
corpus, and ``tests/test_nexart_interop.py`` checks both against NexArt's own code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Literal

import orjson

from cerkit._jsformat import js_number, js_string, utf16_sort_key
from cerkit.errors import CanonicalizationError

Profile = Literal["nexart-v1", "jcs-v1"]
PROFILES: Final[tuple[Profile, ...]] = ("nexart-v1", "jcs-v1")
DEFAULT_PROFILE: Final[Profile] = "nexart-v1"

#: Deepest nesting of arrays and objects canonicalized. JSON documents we read are already
#: limited to this depth by ``cerkit.jsonio``; the constant guards values built in Python.
MAX_DEPTH: Final[int] = 512

_MAX_SAFE: Final[int] = 2**53
_MIN_SAFE: Final[int] = -_MAX_SAFE
_SORTED: Final[int] = orjson.OPT_SORT_KEYS
# orjson refuses to nest deeper than 254 levels; deeper values take the exact path.
_ORJSON_MAX_DEPTH: Final[int] = 250
# Characters at or above U+E000 sort after surrogate pairs in UTF-16 but before astral code
# points in code-point order: the only keys where orjson's order and JavaScript's differ.
_HIGH_BMP: Final[str] = "\ue000"
# orjson writes floats below 1e-5 in exponent form; ECMAScript only below 1e-6.
_ORJSON_EXPONENT_BELOW: Final[float] = 1e-5
_EXP: Final[float] = _ORJSON_EXPONENT_BELOW
_INF: Final[float] = float("inf")
_isascii = str.isascii
_dumps = orjson.dumps


class CanonicalFragment:
    """Canonical bytes of a value computed earlier, spliced verbatim into a larger value.

    Canonical JSON is compositional: the canonical form of an object contains the canonical
    form of each member unchanged. Sealing and verification hash ``input`` on its own and
    again inside the certificate payload; passing its bytes as a fragment the second time
    avoids serializing it twice. Only code that produced the bytes with :func:`canonicalize`
    under the same profile may build one: the bytes are trusted as they are.
    """

    __slots__ = ("data", "fragment")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.fragment = orjson.Fragment(data)


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
    kind = type(value)
    try:
        # _fast, inlined: this runs twice for every record sealed or verified.
        if (kind is dict or kind is list or kind is tuple) and _plain(value, 0):
            return _dumps(value, option=_SORTED)
        return _dumps(_prepare(value, strict, 0), option=_SORTED)
    except (FastPathUnavailable, TypeError):
        # TypeError: orjson refuses lone surrogates; the exact path applies the policy.
        return _exact_text(value, strict).encode("utf-8")


def canonicalize_fast(value: Any, profile: Profile = DEFAULT_PROFILE) -> bytes | None:
    """The fast path alone: the canonical bytes, or ``None`` where it does not apply."""
    strict = _is_strict(profile)
    try:
        return _fast(value, strict)
    except (FastPathUnavailable, TypeError):
        return None


def canonicalize_exact(value: Any, profile: Profile = DEFAULT_PROFILE) -> bytes:
    """The exact (reference) path alone, written after ECMAScript ``JSON.stringify``."""
    return _exact_text(value, _is_strict(profile)).encode("utf-8")


def prepare_fast(value: Any, profile: Profile = DEFAULT_PROFILE, *, depth: int = 0) -> Any:
    """A building block of the fast path, for callers that know most of a document's shape.

    Returns ``value`` made ready for :func:`dumps_prepared` (numbers whose orjson text
    differs from ECMAScript's rewritten). A document assembled from such values, from
    strings, ``None`` and booleans, under keys below U+E000, serializes exactly as
    :func:`canonicalize` would serialize the original (sealing uses this to skip re-walking
    fields it has just type-checked). ``depth`` is the nesting depth ``value`` will have.

    Raises:
        FastPathUnavailable: only the exact path applies; call :func:`canonicalize`.
        CanonicalizationError: the value has no canonical form (NaN, infinities).
    """
    strict = profile != "nexart-v1" and _is_strict(profile)
    kind = type(value)
    try:
        if (kind is dict or kind is list or kind is tuple) and _plain(value, depth):
            return value
        return _prepare(value, strict, depth)
    except TypeError:  # a non-string key: the exact path reports it
        raise FastPathUnavailable from None


#: ``prepared_fragment(data)``: canonical bytes (from :func:`canonicalize`, same profile) as a
#: member of a document for :func:`dumps_prepared`, spliced verbatim, not serialized again.
#: (orjson's own type, not a wrapper: it is built on every seal and verification.)
prepared_fragment: Final[Callable[[bytes], Any]] = orjson.Fragment


def dumps_prepared(document: Any) -> bytes | None:
    """Serialize a document built as :func:`prepare_fast` describes; ``None`` when orjson
    refuses it (a lone surrogate in a string), and the caller must use :func:`canonicalize`."""
    try:
        return orjson.dumps(document, option=_SORTED)
    except TypeError:
        return None


def canonical_text(value: Any, profile: Profile = DEFAULT_PROFILE) -> str:
    """Return :func:`canonicalize` as a ``str``."""
    return canonicalize(value, profile).decode("utf-8")


def _is_strict(profile: str) -> bool:
    if profile == "nexart-v1":
        return False
    if profile == "jcs-v1":
        return True
    raise CanonicalizationError(f"unknown canonicalization profile {profile!r}")


class FastPathUnavailable(Exception):
    """Signal (never escapes :func:`canonicalize`): only the exact path can serialize this."""


def _fast(value: Any, strict: bool) -> bytes:
    """The fast path: orjson's bytes, for a value made ready for orjson where needed.

    Raises:
        FastPathUnavailable, TypeError: only the exact path applies.
        CanonicalizationError: the value has no canonical form (NaN, infinities).
    """
    kind = type(value)
    if (kind is dict or kind is list or kind is tuple) and _plain(value, 0):
        return orjson.dumps(value, option=_SORTED)
    return orjson.dumps(_prepare(value, strict, 0), option=_SORTED)


def _plain(value: Any, depth: int) -> bool:
    """True when :func:`_prepare` would return ``value`` (a dict, list or tuple) as it is.

    The same checks, read-only: keys below U+E000, members of JSON types only (no
    subclasses), no number whose orjson text differs from ECMAScript's, no deeper than
    orjson allows. The common case of sealing and verification; reading keys and values
    apart and never tracking copies makes it about a fifth faster than :func:`_prepare`
    (bench/seal_verify.py; tests/test_fast_paths.py checks that the two agree).
    """
    if depth >= _ORJSON_MAX_DEPTH:
        return False
    if type(value) is dict:
        for key in value:
            # str.isascii raises TypeError for a non-string key: the exact path reports it.
            if not _isascii(key) and max(key) >= _HIGH_BMP:
                return False
        members = value.values()
    else:
        members = value
    for member in members:
        # Tests ordered by how often each type occurs in LLM payloads: strings, then
        # containers, integers (token counts) and floats.
        kind = type(member)
        if kind is str:
            continue
        if kind is dict or kind is list:
            if _plain(member, depth + 1):
                continue
            return False
        if kind is int:
            if _MIN_SAFE <= member <= _MAX_SAFE:
                continue
            return False
        if kind is float:
            # As in _prepare: finite, not tiny, not integral.
            if (
                (member >= _EXP or member <= -_EXP)
                and member - member == 0.0
                and not member.is_integer()
            ):
                continue
            return False
        if member is None or kind is bool or (kind is tuple and _plain(member, depth + 1)):
            continue
        return False
    return True


def _prepare_number(value: Any, strict: bool) -> Any:
    """An int or float whose orjson text may differ from ECMAScript's, made safe for orjson.

    Integral floats become ints (``1.0`` -> ``1``, ``-0.0`` -> ``0``); integers beyond 2^53,
    integral floats beyond it and floats below 1e-5 become pre-formatted fragments.
    """
    if type(value) is int:
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return value
        return orjson.Fragment(js_number(value, strict))
    if value.is_integer():
        if -_MAX_SAFE <= value <= _MAX_SAFE:
            return int(value)
        return orjson.Fragment(js_number(value))
    if -_ORJSON_EXPONENT_BELOW < value < _ORJSON_EXPONENT_BELOW:
        return orjson.Fragment(js_number(value))
    if value != value or value in (_INF, -_INF):
        raise CanonicalizationError(f"non-finite number {value!r} has no JSON form")
    return value


def _prepare(value: Any, strict: bool, depth: int) -> Any:
    """Return ``value`` ready for orjson, or raise :class:`FastPathUnavailable`.

    Containers are copied only when one of their members had to change. Scalars are checked
    inline in the container loops, so the walk costs one call per container, not per value;
    this is the hot loop of sealing and verification (bench/seal_verify.py).
    """
    kind = type(value)
    if kind is dict:
        if depth >= _ORJSON_MAX_DEPTH:
            raise FastPathUnavailable
        changed: dict[str, Any] | None = None
        for key, member in value.items():
            # str.isascii raises TypeError for a non-string key: the exact path reports it.
            if not _isascii(key) and max(key) >= _HIGH_BMP:
                raise FastPathUnavailable
            kind = type(member)
            if kind is str or member is None or kind is bool:
                continue
            if kind is float:
                # Most floats print alike in orjson and ECMAScript: finite (x - x == 0),
                # not tiny, not integral. The rest are rewritten or rejected.
                if (
                    (member >= _EXP or member <= -_EXP)
                    and member - member == 0.0
                    and not member.is_integer()
                ):
                    continue
                new = _prepare_number(member, strict)
            elif kind is int:
                if -_MAX_SAFE <= member <= _MAX_SAFE:
                    continue
                new = _prepare_number(member, strict)
            elif kind is CanonicalFragment:
                new = member.fragment
            else:
                new = _prepare(member, strict, depth + 1)
                if new is member:
                    continue
            if changed is None:
                changed = dict(value)
            changed[key] = new
        return value if changed is None else changed
    if kind is list or kind is tuple:
        if depth >= _ORJSON_MAX_DEPTH:
            raise FastPathUnavailable
        # Find the first member that changes (usually none does); each member is prepared
        # exactly once, so nested changes cost linear time.
        for index, member in enumerate(value):
            kind = type(member)
            if kind is str or member is None or kind is bool:
                continue
            if kind is float:
                if (
                    (member >= _EXP or member <= -_EXP)
                    and member - member == 0.0
                    and not member.is_integer()
                ):
                    continue
                new = _prepare_number(member, strict)
            elif kind is int:
                if -_MAX_SAFE <= member <= _MAX_SAFE:
                    continue
                new = _prepare_number(member, strict)
            else:
                new = _prepare(member, strict, depth + 1)
                if new is member:
                    continue
            items = list(value[:index])
            items.append(new)
            items.extend(_prepare(rest, strict, depth + 1) for rest in value[index + 1 :])
            return items
        return value
    if kind is str or value is None or kind is bool:
        return value
    if kind is int or kind is float:
        return _prepare_number(value, strict)
    if kind is CanonicalFragment:
        return value.fragment
    raise FastPathUnavailable  # subclasses and foreign types: the exact path decides


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
