"""Deterministic JSON encoding of Python values for records (docs/capture.md, "Encoding").

JSON-native values (``None``, booleans, strings, finite floats, integers within ±2^53,
lists, and dicts with string keys) encode as themselves. Everything else becomes a tagged
object with a ``"$type"`` key: arrays, frames and tensors by ``digest`` plus ``shape`` and
``dtype`` (``data`` only when content is wanted), bytes by size and digest, dataclasses and
pydantic models by their fields. The same value gives the same JSON in any process, so the
input and output hashes of two records compare the values, not the objects.

:func:`decode` turns an encoding back into a value when that is possible (everything
JSON-native, tuples, sets, big integers, non-finite floats, bytes and arrays with content):
what replay needs to call a recorded entry point again.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import enum
import hashlib
import math
import pathlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cerkit.digest import PREFIX, hash_canonical
from cerkit.errors import NotDecodable
from cerkit.integrations.base import qualified_name
from cerkit.integrations.local import encode_value

#: Containers nested deeper than this are cut off with ``{"$type": "truncated"}``: a record
#: describes an execution, it is not a serializer for arbitrarily deep object graphs.
MAX_DEPTH: Final[int] = 64
#: "auto" content: arrays, frames and bytes up to this many elements are written in full.
AUTO_CONTENT_ITEMS: Final[int] = 256
_SAFE_INT: Final[int] = 2**53
_SCALARS: Final[frozenset[type]] = frozenset((str, bool, type(None)))


@dataclass(frozen=True, slots=True)
class EncodeOptions:
    """How much content to write.

    Attributes:
        content: ``True`` always writes array/frame/bytes content, ``False`` never,
            ``None`` ("auto") writes it when there are at most ``max_items`` elements.
        max_items: the "auto" threshold.
        object_state: encode objects of unknown types by their ``__getstate__()`` instead
            of by class name only (used for the fitted state of models).
    """

    content: bool | None = None
    max_items: int = AUTO_CONTENT_ITEMS
    object_state: bool = False

    def wants(self, size: int) -> bool:
        return self.content if self.content is not None else size <= self.max_items


DEFAULT_OPTIONS: Final[EncodeOptions] = EncodeOptions()
#: For fitted state: objects by ``__getstate__()``, never content (only digests).
STATE_OPTIONS: Final[EncodeOptions] = EncodeOptions(content=False, object_state=True)


def _digest(data: bytes | memoryview) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


def encode(value: Any, options: EncodeOptions = DEFAULT_OPTIONS) -> Any:
    """Encode ``value`` as deterministic JSON (see the module docstring).

    >>> encode({"x": (1, 2.5), "b": b"hi"})["b"]["digest"][:15]
    'sha256:8f434346'
    """
    return _encode(value, options, 0, set())


def encoder(value: Any, *, state: bool = False) -> Any:
    """The encoder the model families receive to encode a value from scratch (they never
    import this module: see :class:`cerkit.integrations.base.Encoder`)."""
    return encode(value, STATE_OPTIONS if state else DEFAULT_OPTIONS)


def _encode(value: Any, options: EncodeOptions, depth: int, seen: set[int]) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is int:
        return value if -_SAFE_INT <= value <= _SAFE_INT else {"$type": "int", "value": str(value)}
    if kind is float:
        return value if math.isfinite(value) else {"$type": "float", "value": repr(value)}
    if depth >= MAX_DEPTH:
        return {"$type": "truncated", "class": qualified_name(kind)}
    if kind is list:
        return [_encode(item, options, depth + 1, seen) for item in value]
    if kind is dict and all(type(key) is str for key in value) and "$type" not in value:
        return {key: _encode(item, options, depth + 1, seen) for key, item in value.items()}
    if id(value) in seen:
        return {"$type": "cycle", "class": qualified_name(kind)}
    seen.add(id(value))
    try:
        return _encode_other(value, options, depth + 1, seen)
    finally:
        seen.discard(id(value))


Sub = Callable[[Any], Any]


def _encode_other(value: Any, options: EncodeOptions, depth: int, seen: set[int]) -> Any:
    def sub(item: Any) -> Any:
        return _encode(item, options, depth, seen)

    encoded = encode_value(value, options, sub, encoder)  # numpy, pandas, torch, sklearn...
    if encoded is not None:
        return encoded
    if isinstance(value, bool | int | float | str):  # subclasses: IntEnum, str mixins...
        if isinstance(value, enum.Enum):
            return {
                "$type": "enum",
                "class": qualified_name(type(value)),
                "value": sub(value.value),
            }
        return sub(_base(value)(value))
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return {"$type": "tuple", "items": [sub(item) for item in value]}
    if isinstance(value, Mapping):  # OrderedDict, defaultdict, MappingProxy... and odd keys
        if all(type(key) is str for key in value) and "$type" not in value:
            return {key: sub(item) for key, item in value.items()}
        return {"$type": "dict", "items": [[sub(k), sub(v)] for k, v in value.items()]}
    if isinstance(value, bytes | bytearray | memoryview):
        return _encode_bytes(bytes(value), options)
    if isinstance(value, set | frozenset):
        items = sorted((sub(item) for item in value), key=hash_canonical)
        return {"$type": "frozenset" if isinstance(value, frozenset) else "set", "items": items}
    return _encode_object(value, sub, options)


def _base(value: Any) -> type:
    for base in (bool, int, float, str):
        if isinstance(value, base):
            return base
    raise TypeError(type(value))  # pragma: no cover - callers checked


def _encode_bytes(data: bytes, options: EncodeOptions) -> dict[str, Any]:
    encoded: dict[str, Any] = {"$type": "bytes", "size": len(data), "digest": _digest(data)}
    if options.wants(len(data)):
        encoded["base64"] = base64.b64encode(data).decode("ascii")
    return encoded


def _encode_object(value: Any, sub: Sub, options: EncodeOptions) -> Any:
    kind = type(value)
    if isinstance(value, tuple):  # namedtuple
        named = value._asdict()  # type: ignore[attr-defined]
        return {
            "$type": "namedtuple",
            "class": qualified_name(kind),
            "fields": sub(named),
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"$type": "dataclass", "class": qualified_name(kind), "fields": sub(fields)}
    if callable(value) and hasattr(value, "__qualname__"):
        return {"$type": "callable", "name": qualified_name(value)}
    if isinstance(value, enum.Enum):
        return {"$type": "enum", "class": qualified_name(kind), "value": sub(value.value)}
    for text_kind, name, text in _TEXT_TYPES:
        if isinstance(value, text_kind):
            return {"$type": name, "value": text(value)}
    if options.object_state:
        state = value.__getstate__()
        if isinstance(state, dict | tuple | list):
            return {"$type": "object", "class": qualified_name(kind), "state": sub(state)}
    return {"$type": "object", "class": qualified_name(kind)}


_TEXT_TYPES: Final[tuple[tuple[type, str, Callable[[Any], str]], ...]] = (
    (datetime.datetime, "datetime", lambda v: v.isoformat()),
    (datetime.date, "date", lambda v: v.isoformat()),
    (datetime.time, "time", lambda v: v.isoformat()),
    (datetime.timedelta, "timedelta", lambda v: repr(v.total_seconds())),
    (decimal.Decimal, "decimal", str),
    (uuid.UUID, "uuid", str),
    (pathlib.PurePath, "path", lambda v: v.as_posix()),
    (complex, "complex", repr),
    (range, "range", repr),
)


def decode(encoded: Any) -> Any:
    """Turn an encoding back into a value.

    Raises:
        NotDecodable: the encoding keeps only a digest (no content) or names a type that
            cannot be rebuilt from JSON.
    """
    kind = type(encoded)
    if kind is list:
        return [decode(item) for item in encoded]
    if kind is not dict:
        return encoded
    tag = encoded.get("$type")
    if tag is None:
        return {key: decode(item) for key, item in encoded.items()}
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise NotDecodable(f"a recorded {tag!r} cannot be rebuilt from the record")
    return decoder(encoded)


def _decode_bytes(encoded: Mapping[str, Any]) -> bytes:
    if "base64" not in encoded:
        raise NotDecodable("bytes were recorded by digest only (no content)")
    return base64.b64decode(encoded["base64"])


def _decode_ndarray(encoded: Mapping[str, Any]) -> Any:
    if "data" not in encoded:
        raise NotDecodable("the array was recorded by digest only (no content)")
    import numpy

    return numpy.asarray(decode(encoded["data"]), dtype=encoded["dtype"]).reshape(encoded["shape"])


_DECODERS: Final[dict[str, Any]] = {
    "int": lambda e: int(e["value"]),
    "float": lambda e: float(e["value"]),
    "tuple": lambda e: tuple(decode(e["items"])),
    "set": lambda e: set(decode(e["items"])),
    "frozenset": lambda e: frozenset(decode(e["items"])),
    "dict": lambda e: {_hashable(decode(k)): decode(v) for k, v in e["items"]},
    "bytes": _decode_bytes,
    "none": lambda e: None,
    "numpy.ndarray": _decode_ndarray,
}


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


__all__ = ["DEFAULT_OPTIONS", "EncodeOptions", "decode", "encode", "encoder", "qualified_name"]
