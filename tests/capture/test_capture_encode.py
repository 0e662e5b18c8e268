"""The value encoding: deterministic, layout-independent, decodable where it keeps content."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pydantic
import pytest
import torch

from cerkit.capture.encode import EncodeOptions, decode, encode
from cerkit.digest import hash_canonical
from cerkit.errors import NotDecodable


@dataclasses.dataclass
class Point:
    x: int
    label: str


class Query(pydantic.BaseModel):
    text: str
    top_k: int = 3


def test_numpy_inputs_encode_the_same_way_twice_and_across_layouts() -> None:
    data = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    first, second = encode(data), encode(data.copy())
    assert first == second
    assert first["dtype"] == "float64" and first["shape"] == [3, 4]
    assert encode(np.asfortranarray(data)) == first
    assert encode(data.astype(">f8"))["digest"] == first["digest"]
    changed = data.copy()
    changed[2, 3] += 1e-12
    assert encode(changed)["digest"] != first["digest"]


def test_numpy_encoding_is_the_same_in_a_fresh_process() -> None:
    program = (
        "import json, numpy as np; from cerkit.capture.encode import encode; "
        "print(json.dumps(encode(np.linspace(0, 1, 1000).reshape(10, 100))))"
    )
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                         check=True, timeout=120).stdout  # fmt: skip
    assert json.loads(out) == encode(np.linspace(0, 1, 1000).reshape(10, 100))


def test_torch_inputs_encode_the_same_way_twice() -> None:
    torch.manual_seed(0)
    tensor = torch.randn(4, 5)
    first = encode(tensor)
    assert first == encode(tensor.clone()) == encode(tensor.t().contiguous().t())
    assert first["dtype"] == "float32" and first["shape"] == [4, 5]
    assert encode(tensor.to(torch.bfloat16))["digest"] != first["digest"]
    bumped = tensor.clone()
    bumped[0, 0] += 1
    assert encode(bumped)["digest"] != first["digest"]


def test_content_is_written_when_small_or_asked_and_never_when_refused() -> None:
    big = np.zeros(1000)
    assert "data" in encode(np.zeros(3)) and "data" not in encode(big)
    assert "data" in encode(big, EncodeOptions(content=True))
    assert "data" not in encode(np.zeros(3), EncodeOptions(content=False))
    assert encode(big, EncodeOptions(content=True))["digest"] == encode(big)["digest"]


def test_frames_dataclasses_models_and_bytes_have_documented_shapes() -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    encoded = encode(frame)
    assert encoded["$type"] == "pandas.DataFrame" and encoded["shape"] == [2, 2]
    assert encoded == encode(frame.copy())
    assert encode(frame.assign(a=[1, 3]))["digest"] != encoded["digest"]
    assert encode(Point(1, "a")) == {
        "$type": "dataclass", "class": f"{__name__}:Point", "fields": {"x": 1, "label": "a"},
    }  # fmt: skip
    assert encode(Query(text="q"))["fields"] == {"text": "q", "top_k": 3}
    assert encode(b"abc")["digest"] == "sha256:" + __import__("hashlib").sha256(b"abc").hexdigest()


def test_encodings_are_canonical_json() -> None:
    value = {"a": np.float32(0.5), "b": {1, 2, 3}, "c": (1, "x"), "n": float("nan"),
             "big": 2**64, "t": torch.ones(2), "df": pd.Series([1.5, 2.5], name="s")}  # fmt: skip
    assert hash_canonical(encode(value)) == hash_canonical(encode(value))
    json.dumps(encode(value), allow_nan=False)


def test_json_native_values_and_tagged_content_decode_back() -> None:
    value = {"args": [1, "two", 3.5, None, True, [1, 2]], "kw": {"x": {"y": [1]}}}
    assert decode(encode(value)) == value
    from collections import OrderedDict

    assert encode(OrderedDict(b=1, a=2)) == {"b": 1, "a": 2}
    tricky = (1, {2, 3}, frozenset({"a"}), 2**70, b"raw", {(1, 2): "tuple key"})
    assert decode(encode(tricky)) == tricky
    assert math.isnan(decode(encode(float("nan"))))
    array = np.arange(6).reshape(2, 3)
    assert np.array_equal(decode(encode(array)), array)
    with pytest.raises(NotDecodable):
        decode(encode(np.zeros(1000)))
