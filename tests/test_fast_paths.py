"""The shortcuts of sealing and verification give exactly what the general code gives."""

from __future__ import annotations

import random
from typing import Any

import pytest

from cerkit.canonical import FastPathUnavailable, _plain, _prepare
from cerkit.errors import CanonicalizationError, CerkitError
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
                unchanged = _prepare(value, strict, 0) is value
            except (FastPathUnavailable, TypeError, CanonicalizationError):
                unchanged = False  # TypeError: a non-string key; CanonicalizationError: NaN
            assert _plain(value, 0) == unchanged, value
            accepted += unchanged
    assert 200 < accepted < 7_000  # both answers are exercised


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
