"""NexArt's real SDK (``@nexart/ai-execution`` under Node) as a test peer, in one long-lived
Node process (tests/nexart/runner.mjs) spoken to in JSON Lines."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

NEXART_DIR = Path(__file__).parent / "nexart"


class NexArt:
    """A Node process running NexArt's SDK, spoken to in JSON Lines."""

    def __init__(self) -> None:
        node = shutil.which("node")
        sdk = NEXART_DIR / "node_modules" / "@nexart" / "ai-execution" / "package.json"
        if node is None or not sdk.exists():
            pytest.fail("Node.js and the NexArt SDK are required: run `make test`", False)
        self.process = subprocess.Popen(
            [node, "runner.mjs"],
            cwd=NEXART_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )

    def call(self, op: str, items: list[Any]) -> list[dict[str, Any]]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"op": op, "items": items}, ensure_ascii=True) + "\n")
        self.process.stdin.flush()
        reply = json.loads(self.process.stdout.readline())
        assert "error" not in reply, reply
        results: list[dict[str, Any]] = reply["results"]
        assert len(results) == len(items)
        return results

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)

    def verify(self, bundles: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """NexArt's ``verifyCer`` of each bundle, sent as JSON text."""
        return self.call("verify", [json.dumps(b, ensure_ascii=True) for b in bundles])
