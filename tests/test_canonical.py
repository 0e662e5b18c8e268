"""Canonical JSON: every edge policy of docs/spec.md §3, and fast path == exact path."""

from __future__ import annotations

import enum
import random
import struct
from typing import Any

import pytest

from cerkit._canonical_fast import canonicalize_fast
from cerkit.canonical import (
    MAX_DEPTH,
    CanonicalFragment,
    canonical_text,
    canonicalize,
    canonicalize_exact,
    js_number,
)
from cerkit.digest import hash_canonical, hash_payload, sha256_hex
from cerkit.errors import CanonicalizationError, Reason
from cerkit.jsonio import loads
from json_corpus import random_value

# RFC 8785 Appendix B: IEEE-754 bit patterns and their ECMAScript text (checked with Node).
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]

PROFILES = ("nexart-v1", "jcs-v1")


def _double(bits: str) -> float:
    value: float = struct.unpack(">d", bytes.fromhex(bits))[0]
    return value


def _both_paths(value: Any, profile: Any = "nexart-v1") -> bytes:
    """Canonicalize through both implementations and insist they agree."""
    exact = canonicalize_exact(value, profile)
    fast = canonicalize_fast(value, profile)
    assert fast is None or fast == exact
    assert canonicalize(value, profile) == exact
    return exact


@pytest.mark.parametrize(("bits", "text"), RFC8785_NUMBERS)
@pytest.mark.parametrize("profile", PROFILES)
def test_numbers_follow_rfc8785_appendix_b(bits: str, text: str, profile: str) -> None:
    assert _both_paths(_double(bits), profile) == text.encode()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (0, "0"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-7, "1e-7"),
        (1e-6, "0.000001"),
        (1.5e-6, "0.0000015"),
        (9.99e-6, "0.00000999"),
        (1e-5, "0.00001"),
        (1.2345e-5, "0.000012345"),
        (0.1 + 0.2, "0.30000000000000004"),
        (123e-20, "1.23e-18"),
        (2.0**53, "9007199254740992"),
        (2.0**53 + 2, "9007199254740994"),
        (1e16, "10000000000000000"),
        (-1.5e300, "-1.5e+300"),
    ],
)
def test_floats_print_as_ecmascript(value: float, text: str) -> None:
    assert js_number(value) == text
    assert _both_paths(value) == text.encode()
    assert _both_paths([value], "jcs-v1") == f"[{text}]".encode()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2**53, "9007199254740992"),
        (2**53 + 1, "9007199254740992"),  # halfway: rounds to even, as JavaScript's parser
        (2**53 + 3, "9007199254740996"),
        (-(2**53) - 1, "-9007199254740992"),
        (2**54 + 1, "18014398509481984"),
        (2**64, "18446744073709552000"),
        (10**20, "100000000000000000000"),
        (10**21, "1e+21"),
        (123456789012345678901234567890, "1.2345678901234568e+29"),
    ],
)
def test_integers_beyond_2_53_round_to_the_double_javascript_parses(value: int, text: str) -> None:
    assert _both_paths(value) == text.encode()
    assert _both_paths({"n": value}) == b'{"n":' + text.encode() + b"}"


def test_jcs_accepts_integers_a_double_holds_exactly_and_rejects_the_rest() -> None:
    assert _both_paths(2**60, "jcs-v1") == b"1152921504606847000"
    assert _both_paths(10**20, "jcs-v1") == b"100000000000000000000"
    with pytest.raises(CanonicalizationError):
        canonicalize(2**53 + 1, "jcs-v1")
    with pytest.raises(CanonicalizationError):
        canonicalize({"a": [2**53 + 1]}, "jcs-v1")


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), float("-inf"), [1, float("nan")], {"a": float("inf")}, 10**400],
)
def test_non_finite_numbers_are_rejected(value: Any, profile: Any) -> None:
    with pytest.raises(CanonicalizationError) as info:
        canonicalize(value, profile)
    assert info.value.reason is Reason.CANONICALIZATION_ERROR
    with pytest.raises(CanonicalizationError):
        canonicalize_exact(value, profile)


def test_keys_sort_by_utf16_code_units_as_in_rfc8785_3_2_3() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    keys = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    expected = "{" + ",".join(f'"{k}":"{value[k]}"' for k in keys) + "}"
    assert _both_paths(value).decode() == expected.replace("\r", "\\r")


def test_astral_keys_sort_before_high_bmp_keys() -> None:
    value = {"\uffff": 1, "\U0001f600": 2, "\ue000": 3, "z": 4}
    assert canonical_text(value) == '{"z":4,"\U0001f600":2,"\ue000":3,"\uffff":1}'
    assert canonicalize_fast(value) is None  # the fast path declines: its order differs


def test_strings_escape_exactly_what_json_stringify_escapes() -> None:
    controls = "".join(chr(c) for c in range(0x20))
    short = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    expected = "".join(short.get(c, f"\\u{ord(c):04x}") for c in controls)
    assert _both_paths(controls).decode() == f'"{expected}"'
    assert _both_paths('"\\/').decode() == '"\\"\\\\/"'
    raw = "\x7f\u2028\u2029\ufeff\u00e9\U0001f600\ue000\uffff"
    assert _both_paths(raw).decode() == f'"{raw}"'


def test_lone_surrogates_escape_in_nexart_v1_and_are_rejected_by_jcs_v1() -> None:
    assert _both_paths("a\ud800b") == b'"a\\ud800b"'
    assert _both_paths({"\udfff": "\udbff"}) == b'{"\\udfff":"\\udbff"}'
    for value in ("a\ud800b", {"\udfff": 1}):
        with pytest.raises(CanonicalizationError):
            canonicalize(value, "jcs-v1")


def test_a_surrogate_pair_written_as_two_code_points_is_one_character() -> None:
    assert _both_paths("\ud83d\ude00") == _both_paths("\U0001f600")
    assert _both_paths({"\ud83d\ude00": 1, "\uffff": 2}) == _both_paths(
        {"\U0001f600": 1, "\uffff": 2}
    )
    assert _both_paths("\ud83d\ude00", "jcs-v1") == '"\U0001f600"'.encode()


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    "value", [{1: "a"}, {None: 1}, {("a",): 1}, b"bytes", {1, 2}, object(), 1j, {"a": b"x"}]
)
def test_values_that_are_not_json_are_rejected(value: Any, profile: Any) -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize(value, profile)


def test_unknown_profile_is_rejected() -> None:
    with pytest.raises(CanonicalizationError):
        canonicalize({}, "jcs-v2")  # type: ignore[arg-type]


def test_tuples_and_subclasses_serialize_as_their_json_type() -> None:
    class Color(enum.IntEnum):
        RED = 1

    class Sub(dict[str, Any]):
        pass

    assert _both_paths((1, "a", (2.0,))) == b'[1,"a",[2]]'
    assert _both_paths(Sub(b=Color.RED, a=True)) == b'{"a":true,"b":1}'


def test_booleans_are_not_numbers() -> None:
    assert _both_paths([True, False, None, 1, 0]) == b"[true,false,null,1,0]"


def test_nesting_up_to_the_limit_is_accepted_and_deeper_is_rejected() -> None:
    deep: Any = []
    for _ in range(MAX_DEPTH - 1):
        deep = [deep]
    assert _both_paths(deep) == b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    with pytest.raises(CanonicalizationError):
        canonicalize([deep])
    nested: Any = {}
    for _ in range(MAX_DEPTH - 1):
        nested = {"k": nested}
    assert canonicalize(nested).count(b"{") == MAX_DEPTH


def test_a_fragment_is_spliced_verbatim_on_both_paths() -> None:
    inner = {"b": [1.0, "\u2028"], "a": None}
    fragment = CanonicalFragment(canonicalize(inner))
    whole = {"x": inner, "\uffff": 1, "\U0001f600": 2}
    spliced = {"x": fragment, "\uffff": 1, "\U0001f600": 2}
    assert canonicalize(spliced) == canonicalize(whole)  # exact path (key order)
    assert canonicalize({"x": fragment}) == canonicalize({"x": inner})  # fast path
    assert canonicalize_fast({"x": [fragment]}) == canonicalize({"x": [inner]})


def test_empty_containers_and_top_level_scalars() -> None:
    assert _both_paths({"o": {}, "a": [], "s": ""}) == b'{"a":[],"o":{},"s":""}'
    for value, text in ((None, b"null"), ("x", b'"x"'), (1e21, b"1e+21"), (True, b"true")):
        assert _both_paths(value) == text


def test_payload_hash_of_a_string_is_its_utf8_and_equals_the_object_hash() -> None:
    assert hash_payload('{"a":1}') == hash_payload({"a": 1}) == hash_canonical({"a": 1})
    assert hash_payload("") == sha256_hex(b"")


def test_payload_hash_replaces_lone_surrogates_by_u_fffd_as_node_does() -> None:
    assert hash_payload("a\ud800b") == sha256_hex("a\ufffdb".encode())
    assert hash_payload("\ud83d\ude00") == sha256_hex("\U0001f600".encode())


def test_random_doubles_from_bit_patterns_agree_on_both_paths() -> None:
    rng = random.Random(8785)
    for _ in range(20_000):
        value = _double(f"{rng.getrandbits(64):016x}")
        if value != value or value in (float("inf"), float("-inf")):
            continue
        assert _both_paths(value) == js_number(value).encode()


def test_random_values_agree_on_both_paths_and_the_fast_path_is_taken() -> None:
    rng = random.Random(20260101)
    fast_taken = 0
    for _ in range(3_000):
        value = random_value(rng, depth=4)
        for profile in PROFILES:
            try:
                exact = canonicalize_exact(value, profile)  # type: ignore[arg-type]
            except CanonicalizationError:
                with pytest.raises(CanonicalizationError):
                    canonicalize(value, profile)  # type: ignore[arg-type]
                continue
            fast = canonicalize_fast(value, profile)  # type: ignore[arg-type]
            if fast is not None:
                fast_taken += 1
                assert fast == exact
            assert canonicalize(value, profile) == exact  # type: ignore[arg-type]
    assert fast_taken > 1_000


def test_changes_at_every_level_of_a_deep_value_cost_linear_time() -> None:
    value: Any = [1.0, 2**60]
    for _ in range(200):
        value = [value, -0.0, {"k": [3.0]}]
    fast = canonicalize_fast(value)
    assert fast is not None and fast == canonicalize_exact(value)


def test_payload_hash_of_a_string_subclass_is_the_hash_of_its_text() -> None:
    class Text(str):
        pass

    assert hash_payload(Text('{"a":1}')) == hash_payload('{"a":1}')


# -- jcs-v1 output is valid jcs-v1 input (a fixed point) ---------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("60874857738513390", "60874857738513390"),  # how 6.087485773851339e16 prints
        ("6.087485773851339e16", "60874857738513390"),
        ("1152921504606847000", "1152921504606847000"),  # the spec's example: 2^60
        ("1152921504606846976", "1152921504606847000"),  # 2^60 written exactly
        ("-18446744073709552000", "-18446744073709552000"),  # how -2^64 prints
        ("100000000000000000000", "100000000000000000000"),
    ],
)
def test_jcs_accepts_an_integer_text_that_reads_back_as_the_same_double(
    text: str, canonical: str
) -> None:
    value = loads(text)
    assert _both_paths(value, "jcs-v1") == canonical.encode()
    assert _both_paths([value], "jcs-v1") == f"[{canonical}]".encode()


@pytest.mark.parametrize("value", [2**53 + 1, 60874857738513391, 60874857738513389, 2**64 + 1])
def test_jcs_refuses_an_integer_whose_digits_a_double_would_change(value: int) -> None:
    with pytest.raises(CanonicalizationError, match="does not read back as the same double"):
        canonicalize(value, "jcs-v1")
    with pytest.raises(CanonicalizationError):
        canonicalize({"n": [value]}, "jcs-v1")
    assert canonicalize(value, "nexart-v1") == js_number(float(value)).encode()


def _fixed_point(value: Any, profile: Any) -> None:
    try:
        once = canonicalize(value, profile)
    except CanonicalizationError:
        return  # no canonical form: nothing to read back
    again = canonicalize(loads(once), "jcs-v1")
    assert again == canonicalize(loads(once), profile) == once, value


def test_canonical_output_of_either_profile_reads_back_to_itself_under_jcs() -> None:
    rng = random.Random(9)
    for _ in range(20_000):  # doubles of every magnitude, integral ones beyond 2^53 included
        value = _double(f"{rng.getrandbits(64):016x}")
        if value == value and value not in (float("inf"), float("-inf")):
            _fixed_point([value, {"v": value}], "jcs-v1")
    for _ in range(5_000):
        value = float(rng.randrange(2**53, 2**70)) * rng.choice((1, -1))
        _fixed_point({"n": value}, "jcs-v1")
        _fixed_point({"n": int(value)}, "jcs-v1")
    for _ in range(2_000):
        value = random_value(rng, depth=4, lone_surrogates=False)
        for profile in PROFILES:
            _fixed_point(value, profile)
