"""Properties of JSON reading and of both canonical profiles (docs/spec.md §3, §7).

* reading: any bytes either parse or raise ``InvalidRecordError`` with a reason, never
  anything else; what the standard library writes reads back equal;
* canonical JSON: the output is valid JSON that reads back to the same value (round trip)
  and canonicalizes to the same bytes (fixed point), under nexart-v1 and jcs-v1.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from strategies import doubles, json_values, safe_integers, text_with_surrogates

from cerkit.canonical import canonicalize
from cerkit.errors import CanonicalizationError, InvalidRecordError
from cerkit.jsonio import loads


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values read by JavaScript: a number is a double, so 1 and 1.0 are one
    number, -0.0 is written as 0, and ``60874857738513390`` is the double 6.087485773851339e16
    (Python reads the text as an exact integer)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or float(a) == float(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@given(st.binary(max_size=300))
@example(b"\xef\xbb\xbf{}")
@example(b"[" * 600 + b"]" * 600)
@example(b'{"a":1,"a":2}')
@example(b"1e400")
def test_any_bytes_parse_or_fail_with_a_reason(data: bytes) -> None:
    try:
        loads(data)
    except InvalidRecordError as exc:
        assert exc.reason in {"MALFORMED_JSON", "INPUT_TOO_DEEP", "INPUT_TOO_LARGE"}


@given(st.text(max_size=200))
def test_any_text_parses_or_fails_with_a_reason(data: str) -> None:
    try:
        loads(data)
    except InvalidRecordError as exc:
        assert exc.reason in {"MALFORMED_JSON", "INPUT_TOO_DEEP", "INPUT_TOO_LARGE"}


@given(json_values(strings=text_with_surrogates))
def test_what_the_standard_library_writes_reads_back_equal(value: Any) -> None:
    assert _same(loads(json.dumps(value)), value)
    assert _same(loads(json.dumps(value, ensure_ascii=False, indent=1)), value)


@given(json_values(strings=text_with_surrogates))
def test_nexart_v1_output_is_a_fixed_point(value: Any) -> None:
    once = canonicalize(value, "nexart-v1")
    assert canonicalize(loads(once), "nexart-v1") == once


@given(json_values(numbers=st.one_of(safe_integers, doubles)))
def test_nexart_v1_round_trips_values_a_double_holds(value: Any) -> None:
    assert _same(loads(canonicalize(value, "nexart-v1")), value)


@given(json_values(numbers=st.one_of(safe_integers, doubles)))
def test_jcs_v1_round_trips_and_is_a_fixed_point(value: Any) -> None:
    once = canonicalize(value, "jcs-v1")
    assert _same(loads(once), value)
    assert canonicalize(loads(once), "jcs-v1") == once


@given(json_values())
def test_jcs_v1_either_canonicalizes_or_refuses_with_a_reason(value: Any) -> None:
    try:
        once = canonicalize(value, "jcs-v1")
    except CanonicalizationError:
        return
    assert canonicalize(loads(once), "jcs-v1") == once
