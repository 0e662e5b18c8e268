"""The fast path of :func:`cerkit.canonical.canonicalize`: orjson, proven equal or declined.

``orjson`` with sorted keys writes the same bytes as the exact path for almost every value
of a record. This module hands it the value after one pass that rewrites the few numbers
whose orjson text differs from ECMAScript's, and declines (``None`` or
:class:`FastPathUnavailable`) wherever the two are not proven equal: keys at or above U+E000,
lone surrogates, subclasses and foreign types, nesting deeper than orjson allows. Most
values need no rewrite; for them a read-only pass (:func:`is_plain`) replaces the rewriting
one (:func:`prepare`). It exists for a measured reason (bench/seal_verify.py: sealing and
verification serialize every record twice) and is private: callers use ``canonicalize``.
``tests/test_fast_paths.py``, ``tests/test_canonical.py`` and ``tests/test_nexart_interop.py``
check that it agrees with the exact path on every input class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import orjson

from cerkit._jsformat import js_number
from cerkit.errors import CanonicalizationError

_MAX_SAFE: Final[int] = 2**53
_MIN_SAFE: Final[int] = -_MAX_SAFE
_SORTED: Final[int] = orjson.OPT_SORT_KEYS
# orjson refuses to nest deeper than 254 levels; deeper values take the exact path.
_ORJSON_MAX_DEPTH: Final[int] = 250
# Characters at or above U+E000 sort after surrogate pairs in UTF-16 but before astral code
# points in code-point order: the only keys where orjson's order and JavaScript's differ.
HIGH_BMP: Final[str] = "\ue000"
# orjson writes floats below 1e-5 in exponent form; ECMAScript only below 1e-6.
_EXP: Final[float] = 1e-5
_INF: Final[float] = float("inf")
_isascii = str.isascii
_dumps = orjson.dumps


class CanonicalFragment:
    """Canonical bytes of a value computed earlier, spliced verbatim into a larger value.

    Canonical JSON is compositional: the canonical form of an object contains the canonical
    form of each member unchanged. Sealing and verification hash ``input`` on its own and
    again inside the certificate payload; passing its bytes as a fragment the second time
    avoids serializing it twice. Only code that produced the bytes with ``canonicalize``
    under the same profile may build one: the bytes are trusted as they are.
    """

    __slots__ = ("data", "fragment")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.fragment = orjson.Fragment(data)


class FastPathUnavailable(Exception):
    """Signal (never escapes ``canonicalize``): only the exact path can serialize this."""


def prints_alike(number: float) -> bool:
    """The float rule: orjson and ECMAScript print ``number`` alike when it is finite
    (``x - x == 0``), not tiny (orjson switches to exponent form below 1e-5, ECMAScript
    below 1e-6) and not integral (orjson writes ``1.0``, ECMAScript ``1``).

    :func:`is_plain` inlines it; ``tests/test_fast_paths.py`` checks that both agree.
    """
    return (
        (number >= _EXP or number <= -_EXP) and number - number == 0.0 and not number.is_integer()
    )


def canonical_bytes(value: Any, strict: bool) -> bytes | None:
    """The canonical bytes of ``value``, or ``None`` where only the exact path applies.

    Raises:
        CanonicalizationError: the value has no canonical form (NaN, infinities).
    """
    kind = type(value)
    try:
        if (kind is dict or kind is list or kind is tuple) and is_plain(value, 0):
            return _dumps(value, option=_SORTED)
        return _dumps(prepare(value, strict, 0), option=_SORTED)
    except (FastPathUnavailable, TypeError):
        # TypeError: orjson refuses lone surrogates, str.isascii a non-string key.
        return None


def canonicalize_fast(value: Any, profile: str = "nexart-v1") -> bytes | None:
    """The fast path alone, for agreement tests: bytes, or ``None`` where it declines
    (including an unknown profile, which the exact path reports)."""
    if profile not in ("nexart-v1", "jcs-v1"):
        return None
    return canonical_bytes(value, profile == "jcs-v1")


def prepare_fast(value: Any, strict: bool, depth: int) -> Any:
    """A building block for callers that know most of a document's shape (the certificate
    hash of a checked bundle).

    Returns ``value`` made ready for :data:`dumps_prepared`. A document assembled from such
    values, strings, ``None`` and booleans, under keys below U+E000, serializes exactly as
    ``canonicalize`` would serialize the original. ``depth`` is the nesting depth ``value``
    will have.

    Raises:
        FastPathUnavailable: only the exact path applies.
        CanonicalizationError: the value has no canonical form (NaN, infinities).
    """
    kind = type(value)
    try:
        if (kind is dict or kind is list or kind is tuple) and is_plain(value, depth):
            return value
        return prepare(value, strict, depth)
    except TypeError:  # a non-string key: the exact path reports it
        raise FastPathUnavailable from None


#: ``prepared_fragment(data)``: canonical bytes (same profile) as a member of a document for
#: :data:`dumps_prepared`, spliced verbatim, not serialized again.
prepared_fragment: Final[Callable[[bytes], Any]] = orjson.Fragment

#: ``dumps_prepared(document, option=SORT_KEYS)``: serialize a document built as
#: :func:`prepare_fast` says. Raises ``TypeError`` where orjson refuses it (a lone surrogate
#: in a string): the caller falls back to ``canonicalize``. These names are orjson's own,
#: not wrappers: they run on every seal and verification, where a Python frame is measurable
#: (bench/seal_verify.py).
dumps_prepared: Final[Callable[..., bytes]] = orjson.dumps
SORT_KEYS: Final[int] = orjson.OPT_SORT_KEYS


def is_plain(value: Any, depth: int) -> bool:
    """True when :func:`prepare` would return ``value`` (a dict, list or tuple) as it is.

    The same checks, read-only: keys below U+E000, members of JSON types only (no
    subclasses), no number whose orjson text differs from ECMAScript's, no deeper than
    orjson allows. The common case of sealing and verification; reading keys and values
    apart and never tracking copies makes it about a fifth faster than :func:`prepare`.
    """
    if depth >= _ORJSON_MAX_DEPTH:
        return False
    if type(value) is dict:
        for key in value:
            # str.isascii raises TypeError for a non-string key: the exact path reports it.
            if not _isascii(key) and max(key) >= HIGH_BMP:
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
            if is_plain(member, depth + 1):
                continue
            return False
        if kind is int:
            if _MIN_SAFE <= member <= _MAX_SAFE:
                continue
            return False
        if kind is float:
            # prints_alike, inlined: a call per float would double the cost of walking an
            # embedding or a list of logprobs.
            if (
                (member >= _EXP or member <= -_EXP)
                and member - member == 0.0
                and not member.is_integer()
            ):
                continue
            return False
        if member is None or kind is bool or (kind is tuple and is_plain(member, depth + 1)):
            continue
        return False
    return True


_UNCHANGED: Final = object()


def _prepare_member(member: Any, strict: bool, depth: int) -> Any:
    """``member`` of a container ready for orjson, or :data:`_UNCHANGED` when it is so
    already (scalars are decided here, inline, so a walk costs one call per member that
    is not a string, null or boolean)."""
    kind = type(member)
    if kind is float:
        return _UNCHANGED if prints_alike(member) else _prepare_number(member, strict)
    if kind is int:
        return _UNCHANGED if _MIN_SAFE <= member <= _MAX_SAFE else _prepare_number(member, strict)
    if kind is CanonicalFragment:
        return member.fragment
    new = prepare(member, strict, depth)
    return _UNCHANGED if new is member else new


def _prepare_number(value: Any, strict: bool) -> Any:
    """An int or float whose orjson text may differ from ECMAScript's, made safe for orjson.

    Integral floats become ints (``1.0`` -> ``1``, ``-0.0`` -> ``0``); integers beyond 2^53,
    integral floats beyond it and floats below 1e-5 become pre-formatted fragments.
    """
    if type(value) is int:
        if _MIN_SAFE <= value <= _MAX_SAFE:
            return value
        return orjson.Fragment(js_number(value, strict))
    if value.is_integer():
        if _MIN_SAFE <= value <= _MAX_SAFE:
            return int(value)
        return orjson.Fragment(js_number(value))
    if -_EXP < value < _EXP:
        return orjson.Fragment(js_number(value))
    if value != value or value in (_INF, -_INF):
        raise CanonicalizationError(f"non-finite number {value!r} has no JSON form")
    return value


def prepare(value: Any, strict: bool, depth: int) -> Any:
    """Return ``value`` ready for orjson, or raise :class:`FastPathUnavailable`.

    Containers are copied only when one of their members had to change, and each member is
    prepared exactly once, so nested changes cost linear time.
    """
    kind = type(value)
    if kind is dict:
        if depth >= _ORJSON_MAX_DEPTH:
            raise FastPathUnavailable
        changed: dict[str, Any] | None = None
        for key, member in value.items():
            # str.isascii raises TypeError for a non-string key: the exact path reports it.
            if not _isascii(key) and max(key) >= HIGH_BMP:
                raise FastPathUnavailable
            if type(member) is str or member is None or type(member) is bool:
                continue
            new = _prepare_member(member, strict, depth + 1)
            if new is not _UNCHANGED:
                if changed is None:
                    changed = dict(value)
                changed[key] = new
        return value if changed is None else changed
    if kind is list or kind is tuple:
        if depth >= _ORJSON_MAX_DEPTH:
            raise FastPathUnavailable
        items: list[Any] | None = None
        for index, member in enumerate(value):
            if type(member) is str or member is None or type(member) is bool:
                new = _UNCHANGED
            else:
                new = _prepare_member(member, strict, depth + 1)
            if items is not None:
                items.append(member if new is _UNCHANGED else new)
            elif new is not _UNCHANGED:
                items = list(value[:index])
                items.append(new)
        return value if items is None else items
    if kind is str or value is None or kind is bool:
        return value
    if kind is int or kind is float:
        return _prepare_number(value, strict)
    if kind is CanonicalFragment:
        return value.fragment
    raise FastPathUnavailable  # subclasses and foreign types: the exact path decides
