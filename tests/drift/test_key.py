"""The execution key: what enters it, what never does (docs/drift.md §1)."""

from __future__ import annotations

import hashlib

from drift_records import DROP, make

from cerkit.canonical import canonicalize
from cerkit.execution_key import execution_key, key_material


def test_key_is_the_sha256_of_the_canonical_documented_material() -> None:
    bundle = make()
    material = key_material(bundle)
    assert material == {
        "v": "cerkit.execution-key.v1",
        "entryPoint": "app.score:predict",
        "requestedModel": None,
        "inputHash": bundle["snapshot"]["inputHash"],
        "prompt": "app.score:predict",
        "parameters": {"temperature": 0, "maxTokens": 0, "topP": None, "seed": None},
    }
    expected = "sha256:" + hashlib.sha256(canonicalize(material)).hexdigest()
    assert execution_key(bundle) == expected


def test_factors_attribution_compares_never_split_the_key() -> None:
    changed = make(
        {
            "effectiveParameters.threshold": 0.9,
            "modelIdentity.weightsDigest": "sha256:" + "f" * 64,
            "execution.codeDigest": "sha256:" + "f" * 64,
            "environment.python.version": "3.13.0",
            "output": "something else",
        },
        at="2027-01-01T00:00:00.000Z",
    )
    assert execution_key(changed) == execution_key(make())


def test_inputs_prompt_and_passed_parameters_split_the_key() -> None:
    base = execution_key(make())
    assert execution_key(make({"input": {"args": [[0.0]], "kwargs": {}}})) != base
    assert execution_key(make({"prompt": "other"})) != base
    assert execution_key(make({"parameters.temperature": 0.7})) != base


def test_without_entry_point_the_requested_model_keys_the_record() -> None:
    a = make({"execution": DROP, "modelIdentity.requestedModel": "gpt-4o"})
    b = make({"execution": DROP, "modelIdentity.requestedModel": "gpt-4o-mini"})
    assert key_material(a)["requestedModel"] == "gpt-4o"
    assert key_material(a)["entryPoint"] is None
    assert execution_key(a) != execution_key(b)
    plain = make({"execution": DROP, "modelIdentity": DROP})
    assert key_material(plain)["requestedModel"] == "app.score:predict"  # snapshot.model
