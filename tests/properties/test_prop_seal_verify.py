"""Properties of sealing, verification and diff (docs/spec.md §2.3, §6; docs/drift.md §3).

* sealing: any arguments seal to a record that verifies, with the same certificateHash
  every time;
* verification: every single-field change to the hashed part of a record fails it; every
  change to ``meta`` alone keeps its identity and integrity, and a meta change outside the
  producer and attestation blocks keeps it VERIFIED;
* diff: a record that fails integrity is never IDENTICAL to anything.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from strategies import json_values, snapshot_args, text

from cerkit.canonical import canonicalize
from cerkit.drift.attribution import Verdict, explain
from cerkit.seal import seal_args
from cerkit.verify import Layer, Status, verify_bundle

CREATED_AT = "2026-01-01T00:00:00.000Z"


def _sealed(args: dict[str, Any]) -> dict[str, Any]:
    return seal_args(args, created_at=CREATED_AT)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a member or element of ``value`` (containers and leaves)."""
    out: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*prefix, index))
            out.extend(_paths(item, (*prefix, index)))
    return out


def _get(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


def _differs(a: Any, b: Any) -> bool:
    """Different as canonical JSON (1 and 1.0 are the same value)."""
    try:
        return canonicalize(a) != canonicalize(b)
    except Exception:
        return True


@st.composite
def mutations(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A sealed record and a copy with one hashed field replaced, removed or added."""
    bundle = _sealed(draw(snapshot_args()))
    hashed = {k: v for k, v in bundle.items() if k != "meta"}
    paths = _paths(hashed)
    path = draw(st.sampled_from(paths))
    changed = copy.deepcopy(bundle)
    parent, last = _get(changed, path[:-1]), path[-1]
    # A new top-level member is outside the hashed projection (like an unknown envelope
    # field NexArt would also ignore): members are added inside the hashed fields only.
    actions = ["replace", "remove", "add"] if path[:-1] else ["replace", "remove"]
    action = draw(st.sampled_from(actions))
    if action == "remove" and isinstance(parent, dict):
        del parent[last]
    elif action == "add" and isinstance(parent, dict):
        name = draw(text.filter(lambda n: n not in parent))
        parent[name] = draw(json_values(max_leaves=3))
    else:
        new = draw(json_values(max_leaves=4).filter(lambda v: _differs(v, parent[last])))
        parent[last] = new
        action = "replace"
    return bundle, changed, f"{action} {'.'.join(map(str, path))}"


@given(snapshot_args())
def test_any_arguments_seal_to_a_record_that_verifies_the_same_every_time(
    args: dict[str, Any],
) -> None:
    bundle = _sealed(args)
    report = verify_bundle(bundle)
    assert report.ok, report.failures
    assert _sealed(args)["certificateHash"] == bundle["certificateHash"]


@given(mutations())
def test_every_single_field_change_to_the_hashed_part_fails(
    case: tuple[dict[str, Any], dict[str, Any], str],
) -> None:
    _, changed, what = case
    report = verify_bundle(changed)
    assert not report.ok, what
    assert report.layer_status(Layer.INTEGRITY) is Status.FAIL, what


@given(snapshot_args(), st.dictionaries(text, json_values(max_leaves=5), max_size=4))
def test_every_meta_only_change_keeps_identity_and_integrity(
    args: dict[str, Any], extra: dict[str, Any]
) -> None:
    bundle = _sealed(args)
    changed = {**bundle, "meta": extra}
    report = verify_bundle(changed)
    assert report.certificate_hash == bundle["certificateHash"]
    assert report.layer_status(Layer.INTEGRITY) is Status.PASS
    if not {"producer", "attestation"} & extra.keys():
        assert report.ok, report.failures


@given(mutations())
def test_diff_never_calls_a_record_that_fails_integrity_identical(
    case: tuple[dict[str, Any], dict[str, Any], str],
) -> None:
    bundle, changed, what = case
    if not isinstance(changed.get("snapshot"), dict):
        return  # not a record diff can read at all (drift.sources refuses it)
    for a, b in ((bundle, changed), (changed, bundle), (changed, changed)):
        explanation = explain(a, b)
        assert explanation.verdict is Verdict.INTEGRITY_FAILED, what
