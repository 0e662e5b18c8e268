"""A bounded run of the fuzz harnesses (fuzz/), so ``make test`` keeps them working.

The long campaign is ``make fuzz`` (fuzz/run.py). Here each one-input target sees a few
hundred seeded inputs (random documents from tests/json_corpus.py and byte-level mutations
of them), and schemathesis sends a few requests to every operation of a real node.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from cerkit.jsonio import dumps
from cerkit.seal import seal_args
from json_corpus import random_args, random_value

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "fuzz"))
import node_api
import targets

#: Inputs per target in the normal suite (``make fuzz`` runs tens of thousands).
SMOKE_INPUTS = 300


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One byte-level mutation: flip, drop, insert or truncate, as a fuzzer would."""
    if not data:
        return bytes([rng.randrange(256)])
    where = rng.randrange(len(data))
    kind = rng.randrange(4)
    if kind == 0:
        return data[:where] + bytes([data[where] ^ (1 << rng.randrange(8))]) + data[where + 1 :]
    if kind == 1:
        return data[:where] + data[where + 1 :]
    if kind == 2:
        return data[:where] + rng.choice([b"[", b"{", b'"', b"\\u", b"\xff", b"9e9"]) + data[where:]
    return data[:where]


def _corpus(seed: int) -> list[bytes]:
    """Random JSON documents, sealed records, and byte-level mutations of both."""
    rng = random.Random(seed)
    documents = [
        dumps(random_value(rng, depth=4)).encode("utf-8") for _ in range(SMOKE_INPUTS // 3)
    ]
    records = [
        dumps(seal_args(random_args(rng, n, extras=rng.random() < 0.5))).encode("utf-8")
        for n in range(SMOKE_INPUTS // 6)
    ]
    seeds = documents + records
    return seeds + [_mutate(rng, rng.choice(seeds)) for _ in range(SMOKE_INPUTS // 2)]


@pytest.mark.parametrize("name", sorted(targets.TARGETS))
def test_each_fuzz_target_survives_a_seeded_corpus(name: str) -> None:
    target = targets.TARGETS[name]
    for data in _corpus(seed=sum(map(ord, name))):
        target(data)


def test_schemathesis_finds_no_5xx_on_a_real_node(tmp_path: Path) -> None:
    import httpx

    app, token, bundles = node_api.build_app(tmp_path)
    with node_api.serving(app) as url:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        for bundle in bundles:
            assert httpx.post(url + "/v1/attest", content=dumps(bundle), headers=headers).is_success
        result = node_api.run_schemathesis(url, token, examples=3)
    assert result["operations"] >= 10
    assert result["requests"] >= result["operations"]
    assert result["server_errors"] == 0, json.dumps(result)
