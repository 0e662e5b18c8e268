"""The one exception tree: every raise names a branch, and foreign errors become ours."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from cerkit.capture.encode import decode
from cerkit.errors import (
    CerkitError,
    NotDecodable,
    OperationalError,
    Reason,
    RequestError,
    TreeRangeError,
    UsageError,
)
from cerkit.merkle import MerkleTree, leaf_hash

SOURCE = Path(__file__).resolve().parent.parent / "src" / "cerkit"


def _builds_the_base_error(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "CerkitError"
    )


def test_no_module_raises_or_returns_the_base_error_itself() -> None:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise):
                value = node.exc
            elif isinstance(node, ast.Return):
                value = node.value
            else:
                continue
            if value is not None and _builds_the_base_error(value):
                found.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert found == []


def test_a_tree_asked_for_what_it_does_not_hold_raises_a_tree_range_error() -> None:
    tree = MerkleTree.from_leaf_hashes([leaf_hash(bytes([i])) for i in range(4)])
    calls = [
        lambda: tree.leaf(4),
        lambda: tree.root(5),
        lambda: tree.inclusion_proof(4, 4),
        lambda: tree.consistency_proof(3, 5),
        lambda: tree.append(b"short"),
        lambda: MerkleTree.from_leaf_hashes([b"x" * 31]),
    ]
    for call in calls:
        with pytest.raises(TreeRangeError) as caught:
            call()
        assert isinstance(caught.value, UsageError)
        assert isinstance(caught.value, ValueError)  # the builtin meaning, for old callers
        assert caught.value.reason is Reason.USAGE_ERROR


def test_a_digest_only_encoding_is_not_decodable_an_operational_error() -> None:
    with pytest.raises(NotDecodable) as caught:
        decode({"$type": "bytes", "size": 3, "digest": "sha256:" + "0" * 64})
    assert isinstance(caught.value, OperationalError)
    assert caught.value.reason is Reason.SCHEMA_ERROR


def test_a_request_error_is_its_own_branch_with_the_reason_it_is_given() -> None:
    exc = RequestError("no record", Reason.NOT_FOUND)
    assert isinstance(exc, CerkitError)
    assert not isinstance(exc, OperationalError | UsageError)
    assert exc.reason is Reason.NOT_FOUND
    assert RequestError("bad").reason is Reason.BAD_REQUEST
