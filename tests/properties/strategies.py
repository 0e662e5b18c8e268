"""Hypothesis strategies for JSON values, createSnapshot arguments and sealed records.

They aim at the edges the spec names (docs/spec.md §3): escapes, U+2028/U+2029, astral and
high-BMP characters (UTF-16 key order), lone surrogates, integers around and beyond 2^53,
every magnitude of double, -0.0, deep and wide nesting.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

SAFE_INTEGER = 2**53

_SPECIAL_TEXT = st.sampled_from(['"', "\\", "/", "\x7f", "\u2028", "\u2029", "\ufeff", "\x00"])
#: Text without lone surrogates (what jcs-v1 accepts and UTF-8 can carry).
text = st.text(st.one_of(st.characters(exclude_categories=("Cs",)), _SPECIAL_TEXT), max_size=12)
#: Text that may hold a lone surrogate (nexart-v1 hashes them as Node.js does).
text_with_surrogates = st.text(st.characters(), max_size=12)

doubles = st.floats(allow_nan=False, allow_infinity=False)
integers = st.one_of(
    st.integers(-1000, 1000),
    st.integers(-SAFE_INTEGER, SAFE_INTEGER),
    st.integers(-(10**30), 10**30),
)
safe_integers = st.integers(-SAFE_INTEGER, SAFE_INTEGER)


def json_values(
    strings: st.SearchStrategy[str] = text,
    numbers: st.SearchStrategy[Any] | None = None,
    max_leaves: int = 12,
) -> st.SearchStrategy[Any]:
    """JSON values: null, booleans, numbers, strings, arrays and objects."""
    scalars = st.one_of(
        st.none(), st.booleans(), numbers if numbers is not None else st.one_of(integers, doubles),
        strings,
    )  # fmt: skip
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=5), st.dictionaries(strings, inner, max_size=5)
        ),
        max_leaves=max_leaves,
    )


@st.composite
def snapshot_args(draw: st.DrawFn) -> dict[str, Any]:
    """``createSnapshot`` arguments of either protocol, with any JSON input and output."""
    # Integers a double holds exactly: jcs-v1 refuses the others by design (§3.6).
    values = json_values(numbers=st.one_of(safe_integers, doubles))
    payload = st.one_of(text, values).filter(lambda v: v is not None)
    number = st.one_of(st.integers(0, 4096), st.floats(0, 2, allow_nan=False))
    return {
        "executionId": "exec-" + draw(text),
        "provider": draw(st.sampled_from(["openai", "anthropic", "local"])),
        "model": "m" + draw(text),
        "prompt": "p" + draw(text),
        "input": draw(payload),
        "output": draw(payload),
        "parameters": {"temperature": draw(number), "maxTokens": draw(st.integers(0, 4096))},
        "timestamp": "2026-01-01T00:00:00.000Z",
        "protocolVersion": draw(st.sampled_from(["1.2.0", "1.3.0"])),
    }
