"""Helpers for the integration tests: collected records, NexArt's verifier in Node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NEXART_DIR = Path(__file__).parents[1] / "nexart"
#: What tests put in ``api_key``: it must never reach a record.
API_KEY = "sk-proj-Zq8wLm3Rt7Yv2Kp9Xc4Nb6Hd1Fg5Js0Aq"


class Records(list[dict[str, Any]]):
    """A post-seal hook that keeps every sealed bundle."""

    def __call__(self, bundle: dict[str, Any]) -> None:
        self.append(bundle)


class NexArtVerifier:
    """NexArt's ``verifyCer`` in one long-lived Node process (tests/nexart/runner.mjs)."""

    def __init__(self) -> None:
        node = shutil.which("node")
        sdk = NEXART_DIR / "node_modules" / "@nexart" / "ai-execution" / "package.json"
        if node is None or not sdk.exists():
            pytest.fail("Node.js and the NexArt SDK are required: run `make test`", False)
        self.process = subprocess.Popen(
            [node, "runner.mjs"], cwd=NEXART_DIR, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, encoding="utf-8",
        )  # fmt: skip

    def verify(self, bundles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        items = [json.dumps(b, ensure_ascii=True) for b in bundles]
        self.process.stdin.write(json.dumps({"op": "verify", "items": items}) + "\n")
        self.process.stdin.flush()
        results: list[dict[str, Any]] = json.loads(self.process.stdout.readline())["results"]
        return results

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
