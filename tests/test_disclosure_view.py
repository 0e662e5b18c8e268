"""The commitment view and block checks agree with their plain definitions (docs/spec.md §7).

``view_digests`` serializes the disclosure block once and splices its bytes into the root's
payload, ``read_block`` checks every digest with one pattern match, ``replaced_all`` copies
only the containers on the way: each is checked here against the definition written out
the slow way, on records with odd keys, non-ASCII text, arrays and both canonical profiles.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cerkit.bundle import certificate_payload
from cerkit.canonical import canonicalize_exact
from cerkit.digest import sha256_hex
from cerkit.disclosure import redact, seal_disclosable, view_digests
from cerkit.disclosure.commitments import (
    COMMITMENTS_DOMAIN,
    FIELD,
    ROOT_DOMAIN,
    UNSALTED_DIGESTS,
    leaf_locators,
    locator_of,
    path_of,
    read_block,
    replaced_all,
    set_at,
)
from cerkit.errors import InvalidRecordError, Reason
from trust_fixtures import T0


def plain_view_digests(bundle: dict[str, Any]) -> tuple[str, str]:
    """The definition: every leaf replaced by its commitment in a deep copy, the unsalted
    digests dropped, each digest over the exact serializer's bytes."""
    snapshot = bundle["snapshot"]
    profile = "jcs-v1" if snapshot["protocolVersion"].startswith("1.3") else "nexart-v1"
    block = snapshot[FIELD]
    view = copy.deepcopy(snapshot)
    for path, entry in block["commitments"].items():
        set_at(view, locator_of(path), entry["commitment"])
    for name in block["fields"]:
        view.pop(UNSALTED_DIGESTS.get(name, ""), None)
    payload = {**certificate_payload(bundle), "snapshot": view}
    return (
        sha256_hex(canonicalize_exact([COMMITMENTS_DOMAIN, block], profile)),
        sha256_hex(canonicalize_exact([ROOT_DOMAIN, payload], profile)),
    )


def sealed(value: Any, protocol: str = "1.2.0") -> tuple[dict[str, Any], dict[str, Any]]:
    args = {
        "executionId": "e",
        "provider": "p",
        "model": "m",
        "prompt": "q\u2028\U0001f600",
        "input": value,
        "output": {"answer": "yes", "tokens": [1, 2.5, 1e21]},
        "parameters": {"temperature": 0.7, "maxTokens": 1},
        "timestamp": T0,
        "protocolVersion": protocol,
    }
    return seal_disclosable(args, created_at=T0)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(st.text(min_size=1, max_size=6), JSON, min_size=1, max_size=4),
    st.sampled_from(["1.2.0", "1.3.0"]),
    st.data(),
)
def test_view_digests_of_a_record_and_its_copies_are_the_plain_definition(
    value: dict[str, Any], protocol: str, data: Any
) -> None:
    bundle, openings = sealed(value, protocol)
    expected = plain_view_digests(bundle)
    assert view_digests(bundle) == expected
    paths = sorted(bundle["snapshot"][FIELD]["commitments"])
    withheld = data.draw(st.lists(st.sampled_from(paths), unique=True))
    shared = redact(bundle, openings, withheld)
    assert view_digests(shared) == expected
    assert view_digests(shared, read_block(shared["snapshot"])) == expected


def test_leaf_locators_name_each_leaf_by_the_path_path_of_writes() -> None:
    bundle, _ = sealed({"messages": ["a", "b"], "odd key": {"x": 1}, "é": [], "_k-1": "v"})
    locators = leaf_locators(bundle["snapshot"], ("prompt", "input", "output"))
    assert list(locators) == [
        "snapshot.prompt",
        "snapshot.input.messages[0]",
        "snapshot.input.messages[1]",
        'snapshot.input["odd key"]',
        'snapshot.input["\\u00e9"]',
        "snapshot.input._k-1",
        "snapshot.output.answer",
        "snapshot.output.tokens[0]",
        "snapshot.output.tokens[1]",
        "snapshot.output.tokens[2]",
    ]
    for path, locator in locators.items():
        assert path_of(locator) == path and locator_of(path) == locator


def test_replaced_all_copies_the_containers_on_the_way_and_changes_nothing_else() -> None:
    root = {"a": {"b": [1, 2], "c": {"d": 3}}, "e": [4]}
    before = copy.deepcopy(root)
    out = replaced_all(root, [(("a", "b", 0), "x"), (("a", "b", 1), "y"), (("e", 0), "z")])
    assert out == {"a": {"b": ["x", "y"], "c": {"d": 3}}, "e": ["z"]}
    assert root == before
    assert out["a"]["c"] is root["a"]["c"]  # off the way: shared, not copied


@pytest.mark.parametrize(
    "commitment",
    [
        "sha256:" + "0" * 63,  # one short...
        "SHA256:" + "0" * 64,
        "sha256:" + "A" * 64,
        42,
        None,
    ],
)
def test_a_malformed_commitment_digest_is_named_by_its_path(commitment: Any) -> None:
    bundle, _ = sealed({"k": "v"})
    block = bundle["snapshot"][FIELD]["commitments"]
    block["snapshot.input.k"]["commitment"] = commitment
    with pytest.raises(InvalidRecordError) as caught:
        read_block(bundle["snapshot"])
    assert caught.value.reason == Reason.DISCLOSURE_MALFORMED
    assert "snapshot.input.k" in caught.value.message


def test_digests_that_only_join_into_well_formed_ones_are_malformed() -> None:
    bundle, _ = sealed({"k": "v"})
    entry = bundle["snapshot"][FIELD]["commitments"]["snapshot.input.k"]
    # 70 + 72 characters: joined, they read as two digests; apart, neither is one
    joined = entry["commitment"] + entry["saltTag"]
    entry["commitment"], entry["saltTag"] = joined[:70], joined[70:]
    with pytest.raises(InvalidRecordError) as caught:
        read_block(bundle["snapshot"])
    assert caught.value.reason == Reason.DISCLOSURE_MALFORMED


def test_a_block_naming_a_path_that_is_not_a_leaf_is_malformed() -> None:
    bundle, _ = sealed({"k": "v"})
    commitments = bundle["snapshot"][FIELD]["commitments"]
    commitments["snapshot.input.other"] = commitments.pop("snapshot.input.k")
    with pytest.raises(InvalidRecordError, match="exactly the record's disclosable leaves"):
        read_block(bundle["snapshot"])
