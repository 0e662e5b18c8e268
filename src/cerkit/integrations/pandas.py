"""pandas: DataFrames and Series by shape, columns, dtypes and a row-hash digest."""

from __future__ import annotations

import hashlib
from typing import Any

from cerkit.digest import PREFIX, hash_canonical
from cerkit.integrations.base import ContentPolicy, Encoder, Sub


def _label(label: Any) -> Any:
    return label if isinstance(label, str | int | float | bool | type(None)) else str(label)


def _split(value: Any) -> Any:
    if hasattr(value, "columns"):
        split = value.to_dict(orient="split")
    else:
        split = {"index": list(value.index), "data": list(value.to_numpy().tolist())}
    split.pop("columns", None)
    return split


class PandasFamily:
    """The pandas :class:`~cerkit.integrations.base.ModelFamily` (values only)."""

    module = "pandas"

    def encode(self, value: Any, options: ContentPolicy, sub: Sub, encoder: Encoder) -> Any:
        import numpy
        import pandas

        if isinstance(value, pandas.DataFrame):
            kind = "pandas.DataFrame"
            header: dict[str, Any] = {
                "shape": list(value.shape),
                "columns": sub([_label(c) for c in value.columns]),
                "dtypes": [str(d) for d in value.dtypes],
            }
        elif isinstance(value, pandas.Series):
            kind = "pandas.Series"
            header = {
                "shape": list(value.shape),
                "name": sub(_label(value.name)),
                "dtype": str(value.dtype),
            }
        else:
            return None
        content = sub(_split(value))
        try:
            # hash_pandas_object uses a fixed key, so row hashes are stable across processes.
            rows = pandas.util.hash_pandas_object(value, index=True).to_numpy()
            data = numpy.ascontiguousarray(rows).astype("<u8").tobytes()
            body = PREFIX + hashlib.sha256(data).hexdigest()
        except TypeError:  # unhashable cells (lists, dicts): fall back to the encoded content
            body = hash_canonical(content)
        digest = hash_canonical({"header": header, "rows": body})
        encoded = {"$type": kind, **header, "digest": digest}
        if options.wants(value.size):
            encoded["data"] = content
        return encoded

    def identify(self, model: Any, encoder: Encoder) -> dict[str, Any] | None:
        return None


FAMILY = PandasFamily()
__all__ = ["FAMILY", "PandasFamily"]
