"""Fixtures for the integration tests: a local OpenAI/Anthropic-compatible stand-in server,
records collected by a post-seal hook, and checks that each record verifies with cerkit's
verifier and with NexArt's ``verifyCer`` (the real SDK under Node)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from llm_fixtures import API_KEY, Records

from cerkit.integrations.standin import StandIn
from cerkit.verify import verify_bundle
from nexart_bridge import NexArt


@pytest.fixture(scope="session")
def nexart() -> Iterator[NexArt]:
    bridge = NexArt()
    yield bridge
    bridge.close()


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with StandIn(aliases={"gpt-4o": "gpt-4o-2024-08-06"}) as server:
        yield server


@pytest.fixture
def records() -> Records:
    return Records()


@pytest.fixture
def verified(nexart: NexArt) -> Any:
    """``verified(bundles)``: assert each bundle verifies with cerkit and with NexArt."""

    def check(bundles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert bundles, "no record was produced"
        for bundle in bundles:
            report = verify_bundle(json.loads(json.dumps(bundle)))
            assert report.verdict == "VERIFIED", report
            assert API_KEY not in json.dumps(bundle)
        for result in nexart.verify(bundles):
            assert result == {"ok": True, "errors": []}, result
        return bundles

    return check
