"""numpy: arrays by a digest of their little-endian C-order bytes, and numpy scalars."""

from __future__ import annotations

import hashlib
from typing import Any

from cerkit.digest import PREFIX, hash_canonical
from cerkit.integrations.base import ContentPolicy, Encoder, Sub


def _digest(data: Any) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


def array_digest(array: Any, sub: Sub) -> str:
    """Digest of an array's content, independent of how it sat in memory."""
    import numpy

    if array.dtype.hasobject:
        # Object arrays hold pointers: digest the encoded elements instead.
        return hash_canonical(sub(array.tolist()))
    if array.dtype.names:
        # Structured arrays may carry uninitialized padding bytes between fields: digest
        # each field on its own, in declaration order.
        digests = {
            name: array_digest(numpy.ascontiguousarray(array[name]), sub)
            for name in array.dtype.names
        }
        return hash_canonical(digests)
    return _digest(memoryview(array).cast("B"))


class NumpyFamily:
    """The numpy :class:`~cerkit.integrations.base.ModelFamily` (values only)."""

    module = "numpy"

    def encode(self, value: Any, options: ContentPolicy, sub: Sub, encoder: Encoder) -> Any:
        import numpy

        if isinstance(value, numpy.generic):
            return {"$type": "numpy.scalar", "dtype": str(value.dtype), "value": sub(value.item())}
        if not isinstance(value, numpy.ndarray):
            return None
        array = numpy.ascontiguousarray(value)
        if array.dtype.byteorder == ">":
            array = array.astype(array.dtype.newbyteorder("<"))
        encoded: dict[str, Any] = {
            "$type": "numpy.ndarray",
            "dtype": str(array.dtype),
            "shape": list(array.shape),
            "digest": array_digest(array, sub),
        }
        if options.wants(array.size):
            encoded["data"] = sub(array.tolist())
        return encoded

    def identify(self, model: Any, encoder: Encoder) -> dict[str, Any] | None:
        return None


FAMILY = NumpyFamily()
__all__ = ["FAMILY", "NumpyFamily", "array_digest"]
