"""Two-way interoperability with NexArt's real SDK (``@nexart/ai-execution@0.1.0`` under Node).

One long-lived Node process (tests/nexart/runner.mjs) answers batched requests. Values go to
JavaScript as JSON text with ASCII escapes, so they mean there what they mean here: lone
surrogates stay lone, and integers beyond 2^53 become the doubles JavaScript parses, which
is exactly what the nexart-v1 profile models. Bundles come back as NexArt's own JSON text and
are read with cerkit's reader, as a file would be.
"""

from __future__ import annotations

import functools
import json
import random
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cerkit._canonical_fast import canonicalize_fast
from cerkit.bundle import certificate_payload
from cerkit.canonical import canonicalize, canonicalize_exact
from cerkit.digest import hash_payload
from cerkit.errors import CanonicalizationError
from cerkit.jsonio import dumps, loads
from cerkit.seal import seal_args
from cerkit.verify import verify_bundle
from json_corpus import random_args, random_string, random_value
from nexart_bridge import NexArt

pytestmark = pytest.mark.node

RECORDS = 1_200
VALUES = 3_000
CREATED_AT = "2026-02-12T00:00:00.000Z"


@pytest.fixture(scope="module")
def nexart() -> Iterator[NexArt]:
    bridge = NexArt()
    yield bridge
    bridge.close()


def test_canonical_bytes_equal_nexart_for_every_value(nexart: NexArt) -> None:
    rng = random.Random(1)
    values = [random_value(rng, depth=5) for _ in range(VALUES)]
    fast_taken = 0
    for value, theirs in zip(values, nexart.call("canonical", values), strict=True):
        assert "error" not in theirs, (value, theirs)
        ours = canonicalize(value)
        assert ours == theirs["text"].encode("utf-8"), value
        assert hash_payload(value) == theirs["hash"] or isinstance(value, str)
        assert canonicalize_exact(value) == ours
        fast = canonicalize_fast(value)
        if fast is not None:
            fast_taken += 1
            assert fast == ours
    assert fast_taken > VALUES // 3


def test_payload_hashes_equal_nexart_for_strings_and_values(nexart: NexArt) -> None:
    rng = random.Random(2)
    values: list[Any] = [random_string(rng, lone_surrogates=True, max_len=30) for _ in range(500)]
    values += [random_value(rng, depth=3) for _ in range(500)]
    values += ['{"a":1}', {"a": 1}, "", "\ud800", "\udc00\ud800", "\ud83d\ude00"]
    for value, theirs in zip(values, nexart.call("payloadHash", values), strict=True):
        assert hash_payload(value) == theirs["hash"], value


def test_nexart_sealed_records_verify_with_cerkit_and_reseal_identically(
    nexart: NexArt,
) -> None:
    rng = random.Random(3)
    args = [random_args(rng, index, extras=False) for index in range(RECORDS)]
    sealed = nexart.call("seal", [{"args": a, "createdAt": CREATED_AT} for a in args])
    for arguments, theirs in zip(args, sealed, strict=True):
        assert "error" not in theirs, theirs
        bundle = loads(theirs["bundle"])
        report = verify_bundle(bundle)
        assert report.ok, (arguments, report.to_dict())
        # NexArt's clock gave the timestamp when none was passed: replay it.
        clock = functools.partial(str, bundle["snapshot"]["timestamp"])
        ours = seal_args(arguments, created_at=CREATED_AT, now=clock)
        assert ours["certificateHash"] == bundle["certificateHash"], arguments
        assert canonicalize(ours) == canonicalize(bundle)


def test_cerkit_sealed_records_verify_with_nexart(nexart: NexArt) -> None:
    rng = random.Random(4)
    bundles = []
    for index in range(RECORDS):
        bundle = seal_args(random_args(rng, index, extras=True), created_at=CREATED_AT)
        payload = certificate_payload(bundle)
        assert canonicalize_exact(payload) == canonicalize(payload)
        bundles.append(dumps(bundle))  # the text `cerkit seal` writes
    for text, theirs in zip(bundles, nexart.call("verify", bundles), strict=True):
        assert theirs == {"ok": True, "errors": []}, (text, theirs)


def test_nexart_rejects_what_cerkit_rejects_for_tampered_records(nexart: NexArt) -> None:
    rng = random.Random(5)
    tampered = []
    for index in range(100):
        bundle = seal_args(random_args(rng, index, extras=True), created_at=CREATED_AT)
        bundle["snapshot"]["executionId"] += "!"
        assert not verify_bundle(bundle).ok
        tampered.append(dumps(bundle))
    assert not any(r["ok"] for r in nexart.call("verify", tampered))


def test_values_nexart_cannot_canonicalize_are_rejected_here_too(nexart: NexArt) -> None:
    # 10**400 reaches JavaScript as Infinity: both sides refuse it.
    for theirs in nexart.call("canonical", [10**400, {"a": [-(10**400)]}]):
        assert "error" in theirs
    for value in (10**400, {"a": [-(10**400)]}):
        with pytest.raises(CanonicalizationError):
            canonicalize(value)


def test_cerkit_vectors_agree_with_nexart(nexart: NexArt) -> None:
    folder = Path(__file__).parent / "vectors" / "cerkit"
    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    cases = [c for c in manifest["canonical"] if c["profile"] == "nexart-v1" and not c["error"]]
    texts = [(folder / c["document"]).read_text("utf-8") for c in cases]
    for case, theirs in zip(cases, nexart.call("canonicalOfText", texts), strict=True):
        expected = (folder / case["canonical"]).read_text("utf-8")
        assert theirs == {"text": expected}, case["name"]
    records = manifest["records"]
    texts = [(folder / r["file"]).read_text("utf-8") for r in records]
    for record, theirs in zip(records, nexart.call("verify", texts), strict=True):
        assert theirs.get("ok", False) is record["nexart"], (record["name"], theirs)


def test_a_jcs_record_rewritten_by_json_stringify_still_verifies() -> None:
    """A 1.3.0 record whose numbers JavaScript re-prints (2^60 written exactly becomes
    1152921504606847000) keeps its identity: jcs-v1 reads what it writes."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is required: run `make test`", False)
    args = {
        "executionId": "e1",
        "provider": "openai",
        "model": "gpt-4o",
        "prompt": "p",
        "input": {"big": 2**60, "float": 6.087485773851339e16, "tokens": [2**62, -(2**70)]},
        "output": {"n": 60874857738513392},
        "parameters": {"temperature": 0, "maxTokens": 8},
        "timestamp": CREATED_AT,
        "protocolVersion": "1.3.0",
    }
    bundle = seal_args(args, created_at=CREATED_AT)
    rewritten = subprocess.run(
        [
            node,
            "-e",
            "const text = require('fs').readFileSync(0, 'utf8');"
            "process.stdout.write(JSON.stringify(JSON.parse(text)))",
        ],
        input=json.dumps(bundle).encode(),
        capture_output=True,
        check=True,
    ).stdout
    assert b"1152921504606847000" in rewritten and b"60874857738513390" in rewritten
    report = verify_bundle(loads(rewritten))
    assert report.ok, report.to_dict()
    assert canonicalize(loads(rewritten), "jcs-v1") == canonicalize(bundle, "jcs-v1")


def test_records_sealed_as_disclosable_pass_nexart_verify_cer_in_full_form(nexart: NexArt) -> None:
    from cerkit.disclosure import seal_disclosable

    rng = random.Random(14)
    bundles = [
        seal_disclosable(random_args(rng, index, extras=False), created_at=CREATED_AT)[0]
        for index in range(200)
    ]
    for bundle, theirs in zip(
        bundles, nexart.call("verify", [dumps(b) for b in bundles]), strict=True
    ):
        assert "disclosure" in bundle["snapshot"]
        assert theirs.get("ok") is True, theirs
