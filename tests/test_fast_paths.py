"""The shortcuts of sealing and verification give exactly what the general code gives."""

from __future__ import annotations

import copy
import hashlib
import random
import re
from typing import Any

import pytest

from cerkit._canonical_fast import FastPathUnavailable, is_plain, prepare, prints_alike
from cerkit._certificate_fast import checked_certificate_hash, sealed_certificate_hash
from cerkit._schema_fast import given_fields_are_valid
from cerkit.bundle import SNAPSHOT_FIELDS, certificate_payload, profile_for
from cerkit.canonical import canonicalize
from cerkit.digest import PREFIX, payload_digest
from cerkit.disclosure.commitments import _all_digests
from cerkit.errors import CanonicalizationError, CerkitError
from cerkit.schema import snapshot_errors
from cerkit.seal import certificate_hash, seal_args
from cerkit.verify import TrustStore, verify_bundle
from cerkit.verify.integrity import check_integrity
from cerkit.verify.log import check_log
from cerkit.verify.producer import check_producer
from cerkit.verify.receipt import check_receipt
from cerkit.verify.report import Report
from json_corpus import random_args, random_value

CREATED_AT = "2026-02-12T00:00:00.000Z"


def _every_layer(bundle: Any, trust: TrustStore | None) -> dict[str, Any]:
    """The report verify_bundle gives, built by running all four layers."""
    report = Report(certificate_hash=bundle["certificateHash"])
    check_integrity(bundle, report)
    check_producer(bundle, report, trust)
    check_log(bundle, report, trust, check_receipt(bundle, report, trust))
    return report.to_dict()


@pytest.mark.parametrize(
    "meta",
    [None, {}, {"note": "x"}, {"producer": None}, {"attestation": None, "producer": None}],
)
@pytest.mark.parametrize("trust", [None, TrustStore()])
def test_records_without_signatures_skip_layers_2_to_4_as_running_them_would(
    meta: dict[str, Any] | None, trust: TrustStore | None
) -> None:
    rng = random.Random(31)
    for index in range(40):
        bundle = seal_args(random_args(rng, index, extras=True), created_at=CREATED_AT)
        if meta is not None:
            bundle["meta"] = dict(meta)
        if index % 3 == 0:
            bundle["snapshot"]["output"] = "tampered"
        report = verify_bundle(bundle, trust=trust)
        assert report.to_dict() == _every_layer(bundle, trust)
        assert report.assurance.label in ("sealed", "none")
        assert report.to_dict()["layers"]["producer_signature"] == "SKIPPED"


def test_the_read_only_walk_accepts_exactly_what_the_rewriting_walk_leaves_alone() -> None:
    rng = random.Random(32)
    accepted = 0
    for _ in range(4_000):
        value = random_value(rng, depth=4)
        if type(value) not in (dict, list, tuple):
            continue
        for strict in (False, True):
            try:
                unchanged = prepare(value, strict, 0) is value
            except (FastPathUnavailable, TypeError, CanonicalizationError):
                unchanged = False  # TypeError: a non-string key; CanonicalizationError: NaN
            assert is_plain(value, 0) == unchanged, value
            accepted += unchanged
    assert 200 < accepted < 7_000  # both answers are exercised


def test_the_read_only_walk_applies_the_float_rule_it_inlines() -> None:
    rng = random.Random(36)
    edges = [0.0, -0.0, 1.0, -1.0, 0.5, 1e-5, -1e-5, 9.99e-6, 1e-7, 1e16, 1e21, 2.0**53 + 0.5]
    edges += [float("nan"), float("inf"), float("-inf"), 5e-324, 1.7976931348623157e308]
    floats = edges + [rng.uniform(-2, 2) * 10.0 ** rng.randint(-8, 22) for _ in range(2_000)]
    for number in floats:
        assert is_plain([number], 0) == prints_alike(number), number
        assert is_plain({"x": number}, 0) == prints_alike(number), number


def test_sealing_in_place_leaves_the_callers_values_in_the_snapshot() -> None:
    rng = random.Random(33)
    for index in range(300):
        args = random_args(rng, index, extras=index % 2 == 0)
        try:
            bundle = seal_args(args, created_at=CREATED_AT)
        except CerkitError:  # arguments NexArt would reject are not the point here
            continue
        snapshot = bundle["snapshot"]
        for name in ("input", "output"):
            assert snapshot[name] is args[name]
        assert snapshot["parameters"]["temperature"] is args["parameters"]["temperature"]
        assert certificate_hash(bundle) == bundle["certificateHash"]


def _plain_certificate_hash(bundle: dict[str, Any], profile: Any) -> str:
    """The definition (docs/spec.md §4.1): SHA-256 of the canonical projection."""
    return PREFIX + hashlib.sha256(canonicalize(certificate_payload(bundle), profile)).hexdigest()


def _varied_args(rng: random.Random, index: int) -> dict[str, Any]:
    """Arguments of every input class the fast paths distinguish: string or JSON payloads,
    lone surrogates, numbers orjson prints differently, extra fields (high-BMP keys
    included), untyped NexArt fields, both profiles."""
    args = random_args(rng, index, extras=index % 2 == 0)
    if rng.random() < 0.4:
        args["protocolVersion"] = rng.choice(("1.3.0", "1.3.1"))
    if rng.random() < 0.2:
        args[rng.choice(("modelVersion", "sdkVersion", "appId"))] = random_value(rng, depth=2)
    return args


def test_certificate_hash_fast_paths_agree_with_the_plain_projection_on_every_input_class() -> None:
    rng = random.Random(34)
    taken = {"sealed": 0, "checked": 0}
    for index in range(600):
        args = _varied_args(rng, index)
        try:
            bundle = seal_args(args, created_at=CREATED_AT)
        except CerkitError:
            continue  # no canonical form (a lone surrogate or inexact integer under jcs-v1)
        snapshot = bundle["snapshot"]
        profile = profile_for(snapshot)
        strict = profile == "jcs-v1"
        assert bundle["certificateHash"] == _plain_certificate_hash(bundle, profile)
        payloads = {
            name: payload_digest(snapshot[name], profile)[1] for name in ("input", "output")
        }
        before = copy.deepcopy(bundle)
        sealed = sealed_certificate_hash(bundle, strict, payloads)
        assert bundle == before  # swapped fields are put back
        if sealed is not None and not (set(snapshot) - set(SNAPSHOT_FIELDS)):
            taken["sealed"] += 1
            if all(
                type(snapshot[n]) in (str, type(None))
                for n in ("modelVersion", "sdkVersion", "appId")
            ):
                assert sealed == bundle["certificateHash"]
        if rng.random() < 0.3:
            bundle["context"] = {"signals": [random_value(rng, depth=2)]}
        if rng.random() < 0.2:
            for name in ("prompt", "input", "output"):
                del snapshot[name]
            payloads = {}
        try:
            expected = _plain_certificate_hash(bundle, profile)
        except CanonicalizationError:  # the added context has no jcs-v1 form
            for fast in (True, False):
                with pytest.raises(CanonicalizationError):
                    certificate_hash(bundle, profile=profile, payloads=payloads if fast else None)
            continue
        checked = checked_certificate_hash(bundle, strict, payloads)
        if checked is not None:
            taken["checked"] += 1
            assert checked == expected
        assert certificate_hash(bundle, profile=profile, payloads=payloads) == expected
        assert certificate_hash(bundle) == expected
    assert taken["sealed"] > 100 and taken["checked"] > 150  # both paths are exercised


def test_fast_given_fields_check_never_accepts_what_snapshot_errors_rejects() -> None:
    rng = random.Random(35)
    values: list[Any] = [None, "", "x", 0, 1.5, True, [], {}]
    for index in range(1_000):
        snapshot = seal_args(random_args(rng, index, extras=False), created_at=CREATED_AT)[
            "snapshot"
        ]
        name = rng.choice(("executionId", "timestamp", "provider", "model", "prompt", "input"))
        if rng.random() < 0.2:
            del snapshot[name]
        else:
            snapshot[name] = rng.choice(values)
        redacted = rng.random() < 0.3
        if given_fields_are_valid(snapshot, redacted):
            assert snapshot_errors(snapshot, redacted=redacted) == []


# --- disclosure: the digest check of a commitments block, a copy's shape check ---------------

_ONE_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def _plain_all_digests(commitments: dict[str, Any]) -> bool:
    """The definition: every entry an object whose two digests each match the pattern."""
    return all(
        type(entry) is dict
        and all(
            type(entry.get(name)) is str and _ONE_DIGEST.fullmatch(entry[name]) is not None
            for name in ("commitment", "saltTag")
        )
        for entry in commitments.values()
    )


def _near_digests(rng: random.Random) -> list[Any]:
    """Well-formed digests, and strings one edit away from one (the cases a joined check
    could confuse: a prefix moved or split across two digests, non-ASCII, upper case)."""
    good = "sha256:" + hashlib.sha256(str(rng.random()).encode()).hexdigest()
    cut = rng.randrange(1, 71)
    return [
        good,
        good[:cut] + good[cut + 1 :],  # one short
        good + "0",
        good[7:] + "sha256:",  # the prefix at the end
        good[7 : 7 + cut % 64] + "sha256:" + good[7 + cut % 64 :],  # the prefix inside
        good.upper(),
        good[:cut] + "A" + good[cut + 1 :],
        good[:cut] + "g" + good[cut + 1 :],
        good[:cut] + "\u0660" + good[cut + 1 :],  # a non-ASCII digit
        good[:cut] + ":" + good[cut + 1 :],
        good[:cut] + "s" + good[cut + 1 :],
        good[:cut] + " " + good[cut + 1 :],
        "shb256:" + good[7:],
        "sha256" + good[6:].replace(":", "0", 1),
        None,
        42,
        ["sha256:" + "0" * 64],
    ]


def test_the_joined_digest_check_agrees_with_one_pattern_match_per_digest() -> None:
    rng = random.Random(14)
    agreed = {True: 0, False: 0}
    for _ in range(4_000):
        commitments: dict[str, Any] = {}
        for index in range(rng.randrange(0, 5)):
            pool = _near_digests(rng)
            entry: Any = {"commitment": pool[0], "saltTag": pool[0]}
            if rng.random() < 0.5:
                entry[rng.choice(("commitment", "saltTag"))] = rng.choice(pool)
            if rng.random() < 0.05:
                entry = rng.choice([None, [], entry["commitment"], {"commitment": pool[0]}])
            commitments[f"snapshot.input.k{index}"] = entry
        if len(commitments) >= 2 and rng.random() < 0.2:  # a digest split across two entries
            first, second = list(commitments.values())[:2]
            if type(first) is dict and type(second) is dict:
                joined = str(first.get("saltTag")) + str(second.get("commitment"))
                first["saltTag"], second["commitment"] = joined[:70], joined[70:]
        expected = _plain_all_digests(commitments)
        assert _all_digests(commitments) is expected, commitments
        agreed[expected] += 1
    assert min(agreed.values()) > 500  # both answers are exercised


def test_a_copys_shape_check_on_the_copy_agrees_with_the_shadowed_check() -> None:
    """``snapshot_is_valid(..., dropped_digests=True)`` on a redacted copy never passes what
    the check of its shadow (withheld parameters stood in, dropped digests filled) fails."""
    from cerkit._schema_fast import snapshot_is_valid
    from cerkit.disclosure import redact, seal_disclosable
    from cerkit.verify._copy_integrity import _shape_shadow

    rng = random.Random(15)
    fields = ("prompt", "input", "output", "parameters")
    values: list[Any] = [None, "", 0, 1.5, [], {}, {"$withheld": "x"}, "sha256:" + "a" * 64]
    passed = 0
    for index in range(1_000):
        args = random_args(rng, index, extras=False)
        bundle, openings = seal_disclosable(args, created_at=CREATED_AT, fields=fields)
        paths = sorted(bundle["snapshot"]["disclosure"]["commitments"])
        withheld = rng.sample(paths, rng.randrange(0, min(len(paths), 4) + 1))
        snapshot = copy.deepcopy(redact(bundle, openings, withheld)["snapshot"])
        target = snapshot if rng.random() < 0.6 else snapshot["parameters"]
        key = rng.choice(sorted(target))
        if rng.random() < 0.2:
            del target[key]
        elif rng.random() < 0.7:
            target[key] = rng.choice(values)
        shadow = _shape_shadow(snapshot)
        if snapshot_is_valid(snapshot, redacted=True, dropped_digests=True):
            passed += 1
            assert snapshot_is_valid(shadow, redacted=True)
            assert snapshot_errors(shadow, redacted=True) == []
    assert passed > 200
