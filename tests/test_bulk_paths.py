"""What bulk attestation leans on agrees with the plain algorithms: the depth limit of
:func:`cerkit.jsonio.loads` measured on the parsed value, and batch inclusion proofs."""

from __future__ import annotations

import json
import random

import pytest

from cerkit.errors import InvalidRecordError, Reason, TreeRangeError
from cerkit.jsonio import MAX_DEPTH, _depth_exceeds, loads
from cerkit.merkle import MerkleTree, leaf_hash


def _reason(text: str) -> str:
    try:
        loads(text)
    except InvalidRecordError as exc:
        return str(exc.reason)
    return "OK"


def _deep(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


_OBJECT_CHAIN = '{"a":' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
_DEPTH_CASES = {
    "array at the limit": _deep(MAX_DEPTH),
    "array past the limit": _deep(MAX_DEPTH + 1),
    "object chain past the limit": _OBJECT_CHAIN,
    "mixed past the limit": '[{"x":' * 300 + "0" + "}]" * 300,
    "wide, not deep": "[" + ",".join(["[[1]]"] * 2000) + "]",
    "brackets inside strings": json.dumps(["[[[{{{" * 500, '\\"[[[' * 300]),
    "unterminated and deep": "[" * (MAX_DEPTH + 5),
    "unterminated, shallow, many brackets": '["' + "[" * 2000,
    "deep with duplicate keys": '[{"a":1,"a":2,"b":' + _deep(MAX_DEPTH) + "}]",
    "shallow with duplicate keys": '[{"a":1,"a":2}' + ",[]" * 1000 + "]",
    "deep with trailing garbage": _deep(MAX_DEPTH + 3) + "x",
    "far past the recursion limit": _deep(20_000),
}


@pytest.mark.parametrize("name", sorted(_DEPTH_CASES))
def test_loads_is_too_deep_exactly_when_the_text_nests_past_the_limit(name: str) -> None:
    text = _DEPTH_CASES[name]
    reason = _reason(text)
    if _depth_exceeds(text, MAX_DEPTH):  # the character scan is the reference
        assert reason == Reason.INPUT_TOO_DEEP, name
    else:
        assert reason != Reason.INPUT_TOO_DEEP, name


def test_random_bracket_soup_gets_the_reference_depth_verdict() -> None:
    rnd = random.Random(16)
    alphabet = ["[", "]", "{", "}", '"', "\\", "1", ":", ","]
    for _ in range(300):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(MAX_DEPTH, 3 * MAX_DEPTH)))
        assert (_reason(text) == Reason.INPUT_TOO_DEEP) == _depth_exceeds(text, MAX_DEPTH), text


def test_batch_inclusion_proofs_equal_one_proof_at_a_time() -> None:
    tree = MerkleTree()
    for i in range(1500):
        tree.append(leaf_hash(str(i).encode()))
    for size in (1, 2, 3, 255, 256, 257, 1000, 1500):
        indices = sorted({0, size - 1, size // 2, *range(max(0, size - 300), size)})
        single = [tree.inclusion_proof(i, size) for i in indices]
        assert tree.inclusion_proofs(indices, size) == single
    with pytest.raises(TreeRangeError):
        tree.inclusion_proofs([0, 1500], 1500)
