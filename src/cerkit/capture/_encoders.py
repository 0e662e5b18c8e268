"""Encoders for the value families of :mod:`cerkit.capture.encode` that live in other
libraries (numpy, pandas, torch, pydantic, scikit-learn) and for standard-library types.

Each ``encode_*`` returns ``None`` when the value is not of its family. Digests are over
bytes with a fixed layout (C order, little-endian), so they do not depend on how the value
happened to sit in memory.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import hashlib
import pathlib
import sys
import uuid
from collections.abc import Callable
from typing import Any

from cerkit.capture.encode import EncodeOptions, qualified_name
from cerkit.digest import PREFIX, hash_canonical

Sub = Callable[[Any], Any]


def _digest(data: Any) -> str:
    return PREFIX + hashlib.sha256(data).hexdigest()


def encode_numpy(value: Any, options: EncodeOptions, sub: Sub) -> Any:
    """numpy arrays (digest of the little-endian C-order bytes) and numpy scalars."""
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
        "digest": _array_digest(array, sub),
    }
    if options.wants(array.size):
        encoded["data"] = sub(array.tolist())
    return encoded


def _array_digest(array: Any, sub: Sub) -> str:
    if array.dtype.hasobject:
        # Object arrays hold pointers: digest the encoded elements instead.
        return hash_canonical(sub(array.tolist()))
    if array.dtype.names:
        # Structured arrays may carry uninitialized padding bytes between fields: digest
        # each field on its own, in declaration order.
        digests = {
            name: _array_digest(numpy_contiguous(array[name]), sub) for name in array.dtype.names
        }
        return hash_canonical(digests)
    return _digest(memoryview(array).cast("B"))


def numpy_contiguous(array: Any) -> Any:
    import numpy

    return numpy.ascontiguousarray(array)


def encode_pandas(value: Any, options: EncodeOptions, sub: Sub) -> Any:
    """pandas DataFrames and Series: shape, columns, dtypes and a row-hash digest."""
    import pandas

    if isinstance(value, pandas.DataFrame):
        kind, header = (
            "pandas.DataFrame",
            {
                "shape": list(value.shape),
                "columns": sub([_label(c) for c in value.columns]),
                "dtypes": [str(d) for d in value.dtypes],
            },
        )
        size = value.size
    elif isinstance(value, pandas.Series):
        kind, header = (
            "pandas.Series",
            {
                "shape": list(value.shape),
                "name": sub(_label(value.name)),
                "dtype": str(value.dtype),
            },
        )
        size = value.size
    else:
        return None
    content = sub(_split(value))
    try:
        # hash_pandas_object uses a fixed key, so row hashes are stable across processes.
        rows = pandas.util.hash_pandas_object(value, index=True).to_numpy()
        body = _digest(numpy_contiguous(rows).astype("<u8").tobytes())
    except TypeError:  # unhashable cells (lists, dicts): fall back to the encoded content
        body = hash_canonical(content)
    encoded = {"$type": kind, **header, "digest": hash_canonical({"header": header, "rows": body})}
    if options.wants(size):
        encoded["data"] = content
    return encoded


def _label(label: Any) -> Any:
    return label if isinstance(label, str | int | float | bool | type(None)) else str(label)


def _split(value: Any) -> Any:
    split = (
        value.to_dict(orient="split")
        if hasattr(value, "columns")
        else {
            "index": list(value.index),
            "data": list(value.to_numpy().tolist()),
        }
    )
    split.pop("columns", None)
    return split


def tensor_bytes(tensor: Any) -> Any:
    """The raw bytes of a tensor in C order on the CPU, as a numpy ``uint8`` view."""
    import torch

    flat = tensor.detach().to("cpu").contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy()


def encode_torch(value: Any, options: EncodeOptions, sub: Sub) -> Any:
    """torch tensors (digest of the raw bytes) and modules (digest of the state dict)."""
    import torch

    if isinstance(value, torch.nn.Module):
        from cerkit.capture.model_identity import torch_weights_digest

        return {
            "$type": "torch.nn.Module",
            "class": qualified_name(type(value)),
            "weightsDigest": torch_weights_digest(value),
        }
    if not isinstance(value, torch.Tensor) or value.layout != torch.strided:
        return None
    encoded: dict[str, Any] = {
        "$type": "torch.Tensor",
        "dtype": str(value.dtype).removeprefix("torch."),
        "shape": list(value.shape),
        "device": value.device.type,
        "digest": _digest(tensor_bytes(value)),
    }
    if options.wants(value.numel()):
        encoded["data"] = sub(value.detach().to("cpu").tolist())
    return encoded


def encode_known(value: Any, sub: Sub, options: EncodeOptions) -> Any:
    """Standard-library value types, pydantic models and scikit-learn estimators."""
    if isinstance(value, enum.Enum):
        return {"$type": "enum", "class": qualified_name(type(value)), "value": sub(value.value)}
    for kind, name, text in _TEXT_TYPES:
        if isinstance(value, kind):
            return {"$type": name, "value": text(value)}
    if "pydantic" in sys.modules:
        import pydantic

        if isinstance(value, pydantic.BaseModel):
            fields = value.model_dump(mode="json")
            return {
                "$type": "pydantic",
                "class": qualified_name(type(value)),
                "fields": sub(fields),
            }
    if "sklearn" in sys.modules and hasattr(value, "get_params") and hasattr(value, "fit"):
        from cerkit.capture.model_identity import sklearn_state_digest

        return {
            "$type": "sklearn.estimator",
            "class": qualified_name(type(value)),
            "parameters": sub(value.get_params(deep=False)),
            "stateDigest": sklearn_state_digest(value),
        }
    if options.object_state:
        state = value.__getstate__()
        if isinstance(state, dict | tuple | list):
            return {"$type": "object", "class": qualified_name(type(value)), "state": sub(state)}
    return None


_TEXT_TYPES: tuple[tuple[type, str, Callable[[Any], str]], ...] = (
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
