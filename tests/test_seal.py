"""Sealing: NexArt createSnapshot/sealCer semantics, and the fast paths equal the plain ones."""

from __future__ import annotations

import copy
import random
import re
from typing import Any

import pytest

from cerkit._certificate_fast import checked_certificate_hash
from cerkit._schema_fast import bundle_is_valid, parameters_are_valid, snapshot_is_valid
from cerkit.bundle import SNAPSHOT_FIELDS
from cerkit.errors import CerkitError, Reason, SchemaError, UnsupportedProtocolError
from cerkit.schema import bundle_errors, parameter_errors, snapshot_errors
from cerkit.seal import certificate_hash, create_snapshot, iso_now, seal, seal_args
from cerkit.verify import verify_bundle
from json_corpus import random_args

CREATED_AT = "2026-02-12T00:00:00.000Z"
ARGS: dict[str, Any] = {
    "executionId": "e1",
    "provider": "openai",
    "model": "gpt-4o",
    "prompt": "p",
    "input": "2+2?",
    "output": "4",
    "parameters": {"temperature": 0, "maxTokens": 8},
    "timestamp": "2026-01-01T00:00:00.000Z",
}


def _clock() -> str:
    return "2030-01-01T00:00:00.000Z"


def test_snapshot_has_nexarts_16_fields_in_order_with_documented_defaults() -> None:
    args = {k: v for k, v in ARGS.items() if k != "timestamp"}
    snapshot = create_snapshot(args, now=_clock)
    assert tuple(snapshot) == SNAPSHOT_FIELDS
    assert snapshot["timestamp"] == "2030-01-01T00:00:00.000Z"
    assert snapshot["modelVersion"] is None and snapshot["appId"] is None
    assert snapshot["sdkVersion"] == "0.1.0"
    assert snapshot["parameters"] == {"temperature": 0, "maxTokens": 8, "topP": None, "seed": None}
    assert (snapshot["type"], snapshot["protocolVersion"], snapshot["executionSurface"]) == (
        "ai.execution.v1",
        "1.2.0",
        "ai",
    )


def test_null_arguments_take_the_defaults_as_nexarts_nullish_coalescing_does() -> None:
    snapshot = create_snapshot({**ARGS, "timestamp": None, "sdkVersion": None}, now=_clock)
    assert snapshot["timestamp"] == _clock() and snapshot["sdkVersion"] == "0.1.0"


def test_extra_fields_and_parameters_are_kept_after_nexarts_and_hashed() -> None:
    args = {
        **ARGS,
        "parameters": {"temperature": 0.5, "frequencyPenalty": 0.1, "maxTokens": 8},
        "workflowId": "wf",
        "environment": {"python": "3.11"},
    }
    bundle = seal_args(args, created_at=CREATED_AT)
    snapshot = bundle["snapshot"]
    assert list(snapshot)[-2:] == ["workflowId", "environment"]
    assert list(snapshot["parameters"]) == [
        "temperature",
        "maxTokens",
        "topP",
        "seed",
        "frequencyPenalty",
    ]
    changed = copy.deepcopy(bundle)
    changed["snapshot"]["environment"]["python"] = "3.12"
    assert certificate_hash(changed) != bundle["certificateHash"]


def test_computed_fields_cannot_be_overridden_by_arguments() -> None:
    snapshot = create_snapshot(
        {**ARGS, "inputHash": "sha256:" + "0" * 64, "type": "x", "executionSurface": "y"}
    )
    assert snapshot["inputHash"] != "sha256:" + "0" * 64
    assert (snapshot["type"], snapshot["executionSurface"]) == ("ai.execution.v1", "ai")


def test_meta_is_never_hashed_and_context_fields_are() -> None:
    snapshot = create_snapshot(ARGS)
    plain = seal(snapshot, created_at=CREATED_AT)
    with_meta = seal(snapshot, created_at=CREATED_AT, meta={"producer": {"kid": "k"}})
    assert with_meta["certificateHash"] == plain["certificateHash"]
    assert with_meta["meta"] == {"producer": {"kid": "k"}}
    with_context = seal(snapshot, created_at=CREATED_AT, context={"signals": [1.0]})
    assert with_context["certificateHash"] != plain["certificateHash"]
    assert verify_bundle(with_context).ok
    with_context["context"]["signals"] = [2]
    assert not verify_bundle(with_context).ok


def test_sealing_is_deterministic_and_binds_created_at() -> None:
    first = seal_args(ARGS, created_at=CREATED_AT)
    assert seal_args(copy.deepcopy(ARGS), created_at=CREATED_AT) == first
    assert seal_args(ARGS, created_at="2026-02-12T00:00:00.001Z") != first
    assert seal_args(ARGS, now=lambda: CREATED_AT)["certificateHash"] == first["certificateHash"]


def test_the_docstring_example_hash_is_stable() -> None:
    assert seal_args(ARGS, created_at="2026-01-01T00:00:00.000Z")["certificateHash"].startswith(
        "sha256:1f4a4a70"  # what NexArt's sealCer gives (explicit null topP, seed)
    )


def test_iso_now_writes_what_javascript_to_iso_string_writes() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", iso_now())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"parameters": None}, "parameters must be an object"),
        ({"parameters": {"maxTokens": 1}}, "parameters.temperature must be a finite number"),
        ({"parameters": {"temperature": True, "maxTokens": 1}}, "parameters.temperature"),
        ({"parameters": {"temperature": 1, "maxTokens": float("nan")}}, "parameters.maxTokens"),
        ({"parameters": {"temperature": 1, "maxTokens": 1, "topP": "x"}}, "parameters.topP"),
        ({"prompt": ""}, "snapshot.prompt must be a non-empty string"),
        ({"executionId": 7}, "snapshot.executionId must be a non-empty string"),
        ({"output": None}, "snapshot.output must be a string or a JSON value"),
    ],
)
def test_arguments_nexart_would_reject_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaError, match=re.escape(message)):
        seal_args({**ARGS, **change})


def test_an_empty_created_at_is_refused() -> None:
    with pytest.raises(SchemaError):
        seal_args(ARGS, created_at="")


def test_an_unsupported_protocol_version_fails_closed() -> None:
    with pytest.raises(UnsupportedProtocolError) as info:
        seal_args({**ARGS, "protocolVersion": "1.4.0"})
    assert info.value.reason is Reason.UNSUPPORTED_PROTOCOL_VERSION
    with pytest.raises(CerkitError):
        seal_args({**ARGS, "protocolVersion": ["1.2.0"]})


def test_arguments_must_be_a_mapping() -> None:
    with pytest.raises(SchemaError):
        seal_args(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_fast_sealing_equals_plain_sealing_on_a_random_corpus() -> None:
    rng = random.Random(11)
    for index in range(600):
        args = random_args(rng, index, extras=True)
        if rng.random() < 0.2:
            args["protocolVersion"] = "1.3.0"
        if rng.random() < 0.1:
            args["\ue000\U0001f600"] = {"\uffff": 1, "\U0001f600": [1.0, -0.0]}
        try:
            fast = seal_args(args, created_at=CREATED_AT, now=_clock)
        except CerkitError as exc:
            with pytest.raises(type(exc)):
                seal(create_snapshot(args, now=_clock), created_at=CREATED_AT)
            continue
        plain = seal(create_snapshot(args, now=_clock), created_at=CREATED_AT)
        assert fast == plain
        assert certificate_hash(fast) == fast["certificateHash"]
        assert verify_bundle(fast).ok


def test_the_checked_certificate_hash_equals_the_plain_one_for_redacted_records() -> None:
    bundle = seal_args({**ARGS, "input": {"a": 1.5e-7}, "appId": {"n": 2**60}})
    for name in ("prompt", "input", "output"):
        del bundle["snapshot"][name]
    bundle["snapshot"]["prompt"] = {"kept": 1.0}  # a redacted snapshot's prompt is untyped
    expected = certificate_hash(bundle)
    assert checked_certificate_hash(bundle, False, {}) == expected
    bundle["certificateHash"] = expected
    assert verify_bundle(bundle).ok


def test_fast_schema_predicates_never_accept_what_the_full_checks_reject() -> None:
    rng = random.Random(12)
    values: list[Any] = [None, "", "x", 0, 1.5, float("nan"), True, [], {}, "sha256:" + "a" * 64]
    for index in range(2_000):
        bundle = seal_args(random_args(rng, index, extras=False), created_at=CREATED_AT)
        target = bundle if rng.random() < 0.3 else bundle["snapshot"]
        if rng.random() < 0.3 and target is bundle["snapshot"]:
            target = target["parameters"]
        key = rng.choice(sorted(target))
        if rng.random() < 0.2:
            del target[key]
        else:
            target[key] = rng.choice(values)
        snapshot = bundle.get("snapshot")
        assert not bundle_is_valid(bundle) or not bundle_errors(bundle)
        assert not snapshot_is_valid(snapshot) or not snapshot_errors(snapshot)
        parameters = snapshot.get("parameters") if isinstance(snapshot, dict) else None
        assert not parameters_are_valid(parameters) or not parameter_errors(parameters)
        if bundle_is_valid(bundle) is False and not bundle_errors(bundle):
            pytest.fail(f"fast bundle check disagrees: {bundle}")
