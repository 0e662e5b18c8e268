"""Seal and verify throughput: cerkit against NexArt's SDK (Node) and a hashing floor.

All three run in the same invocation on the same records: realistic ~3 KB LLM calls (a system
prompt, a chat ``input`` of a few hundred words, an assistant ``output`` of a few hundred
words with usage counts, float parameters), generated from a fixed seed. Both cerkit and
NexArt start from in-memory objects.

* cerkit seal: ``seal_args`` (createSnapshot + sealCer semantics, all checks).
* cerkit verify: ``verify_bundle`` (full report: the records carry no producer signature
  and no attestation, so layers 2-4 are reported SKIPPED, as for NexArt's ``verifyCer``,
  which checks integrity only).
* NexArt: ``sealCer(createSnapshot(args))`` and ``verifyCer`` in bench/nexart_bench.mjs.
* floor: the same three SHA-256 digests (input, output, certificate payload) over bytes
  from orjson with sorted keys: the fastest serializer here, not JavaScript-exact, so no
  correct implementation can beat it by much.

Run ``python bench/seal_verify.py`` (a table) or ``--json`` (one object). Figures are the
median of several repeats, in microseconds per record, each timed pass right after an
untimed warm-up pass of the same contender (see :func:`run`); other processes on the
machine add noise, so compare ratios from the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from cerkit.seal import seal_args
from cerkit.verify import verify_bundle

ROOT = Path(__file__).resolve().parent.parent
NEXART_RUNNER = ROOT / "bench" / "nexart_bench.mjs"
CREATED_AT = "2026-02-12T00:00:00.000Z"
TARGETS = {"seal_speedup_vs_nexart": 3.0, "verify_speedup_vs_nexart": 3.0, "cerkit_vs_floor": 2.0}

_WORDS = [
    "the",
    "model",
    "answer",
    "revenue",
    "quarter",
    "risk",
    "customer",
    "churn",
    "data",
    "analysis",
    "because",
    "however",
    "retention",
    "strategy",
    "market",
    "growth",
    "cost",
    "margin",
    "team",
    "product",
    "support",
    "contract",
    "renewal",
    "engagement",
    "signal",
    "forecast",
    "summary",
    "evidence",
    "table",
    "trend",
    "region",
    "segment",
    "price",
    "policy",
    "we",
    "should",
    "consider",
    "overall",
    "result",
    "significant",
    "decline",
    "increase",
    "compared",
    "previous",
    "year",
]
_PUNCTUATION = [", ", ". ", "; ", " — ", "\n\n", ": ", " “", "” ", " (", ") ", "’s ", "\n- "]


def _text(rng: random.Random, words: int) -> str:
    parts = []
    for _ in range(words):
        parts.append(rng.choice(_WORDS))
        parts.append(rng.choice(_PUNCTUATION) if rng.random() < 0.15 else " ")
    return "".join(parts).strip()


def make_records(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` createSnapshot argument objects of about 3 KB each."""
    rng = random.Random(seed)
    records = []
    for index in range(count):
        records.append(
            {
                "executionId": f"exec-{index:06d}",
                "provider": "openai",
                "model": "gpt-4o",
                "modelVersion": "2024-08-06",
                "prompt": "You are a careful financial analyst. " + _text(rng, 30),
                "input": {
                    "messages": [
                        {"role": "system", "content": _text(rng, 40)},
                        {"role": "user", "content": _text(rng, 120)},
                    ]
                },
                "output": {
                    "role": "assistant",
                    "content": _text(rng, 130),
                    "finishReason": "stop",
                    "usage": {"promptTokens": 312, "completionTokens": 268, "totalTokens": 580},
                },
                "parameters": {
                    "temperature": round(rng.uniform(0, 1), 2),
                    "maxTokens": 1024,
                    "topP": 0.95,
                    "seed": None,
                },
                "timestamp": "2026-02-12T00:00:00.000Z",
                "appId": "bench",
            }
        )
    return records


class TimedProcess:
    """A process that answers one JSON line per request line: one timed pass, in µs per
    record (``{"us": ...}``); its first line says who it is."""

    def __init__(self, command: list[str], stopped: str, env: dict[str, str] | None = None) -> None:
        self._stopped = stopped
        self._process = subprocess.Popen(
            command, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise SystemExit(self._stopped)
        reply: dict[str, Any] = json.loads(line)
        return reply

    def time(self, operation: str) -> float:
        assert self._process.stdin is not None
        self._process.stdin.write(operation + "\n")
        self._process.stdin.flush()
        return float(self._read()["us"])

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=30)


class NexArtRunner(TimedProcess):
    """NexArt's SDK in a Node process (bench/nexart_bench.mjs), one timed pass per request."""

    def __init__(self, records: list[dict[str, Any]], rounds: int) -> None:
        node = shutil.which("node")
        if node is None:
            raise SystemExit("node is required for the NexArt baseline (`make bench` sets it up)")
        self._file = tempfile.NamedTemporaryFile("w", suffix=".json", encoding="utf-8")  # noqa: SIM115
        json.dump({"createdAt": CREATED_AT, "records": records}, self._file)
        self._file.flush()
        super().__init__(
            [node, str(NEXART_RUNNER), self._file.name, str(rounds)],
            "the NexArt runner stopped (is the SDK installed? run `make bench`)",
        )
        self.node = str(self.hello["node"])

    def close(self) -> None:
        super().close()
        self._file.close()


def _passes(records: list[dict[str, Any]]) -> tuple[dict[str, Callable[[int], None]], float]:
    """Passes (``rounds`` times over the records) for cerkit and the floor, and the mean
    record size."""
    bundles = [seal_args(args, created_at=CREATED_AT) for args in records]
    assert all(verify_bundle(bundle).ok for bundle in bundles)

    def seal_all(rounds: int) -> None:
        for _ in range(rounds):
            for args in records:
                seal_args(args, created_at=CREATED_AT)

    def verify_all(rounds: int) -> None:
        for _ in range(rounds):
            for bundle in bundles:
                verify_bundle(bundle)

    def floor_all(rounds: int) -> None:
        dumps, sha256, option = orjson.dumps, hashlib.sha256, orjson.OPT_SORT_KEYS
        for _ in range(rounds):
            for bundle in bundles:
                snapshot = bundle["snapshot"]
                sha256(dumps(snapshot["input"], option=option)).hexdigest()
                sha256(dumps(snapshot["output"], option=option)).hexdigest()
                payload = {
                    "bundleType": bundle["bundleType"],
                    "createdAt": bundle["createdAt"],
                    "snapshot": snapshot,
                    "version": bundle["version"],
                }
                sha256(dumps(payload, option=option)).hexdigest()

    size = statistics.mean(len(orjson.dumps(b)) for b in bundles)
    return {"seal": seal_all, "verify": verify_all, "floor": floor_all}, size


def run(count: int, rounds: int, repeats: int) -> dict[str, Any]:
    """Measure everything, interleaved: each repeat times one pass of every contender, so a
    burst of load from other processes hits all of them alike. Medians over the repeats.

    Each timed pass directly follows an untimed warm-up pass of the same contender (one
    round over the records for Python; one pass for Node, whose runner only does full
    passes). Without it, a pass that comes right after the other process pays for the
    caches that process evicted, and the rotated order (rotation keeps who follows whom)
    charged that to cerkit's seal in nine passes out of ten, to verify in two, to the
    floor never.
    """
    records = make_records(count)
    passes, size = _passes(records)
    nexart = NexArtRunner(records, rounds)
    operations = rounds * len(records)
    samples: dict[str, list[float]] = {name: [] for name in ("seal", "verify", "floor")}
    samples |= {"nexart_seal": [], "nexart_verify": []}
    try:
        for name in ("seal", "verify", "floor"):
            passes[name](rounds)  # warm up
        order = [*passes, "nexart_seal", "nexart_verify"]
        for repeat in range(repeats):
            # Rotate the order, so that a burst of load does not always hit the same one.
            shift = repeat % len(order)
            for name in order[shift:] + order[:shift]:
                if name.startswith("nexart_"):
                    nexart.time(name.removeprefix("nexart_"))  # warm-up pass, not counted
                    samples[name].append(nexart.time(name.removeprefix("nexart_")))
                    continue
                passes[name](1)  # warm-up round, not counted
                start = time.perf_counter_ns()
                passes[name](rounds)
                samples[name].append((time.perf_counter_ns() - start) / 1000 / operations)
    finally:
        nexart.close()
    us = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "records": count,
        "record_bytes": round(size),
        "cerkit_seal_us": round(us["seal"], 2),
        "nexart_seal_us": round(us["nexart_seal"], 2),
        "seal_speedup_vs_nexart": round(us["nexart_seal"] / us["seal"], 2),
        "cerkit_verify_us": round(us["verify"], 2),
        "nexart_verify_us": round(us["nexart_verify"], 2),
        "verify_speedup_vs_nexart": round(us["nexart_verify"] / us["verify"], 2),
        "floor_us": round(us["floor"], 2),
        "cerkit_vs_floor": round(us["seal"] / us["floor"], 2),
        "python": sys.version.split()[0],
        "node": nexart.node,
    }


def _meets(key: str, value: float) -> bool:
    target = TARGETS[key]
    return value <= target if key == "cerkit_vs_floor" else value >= target


def render(result: dict[str, Any]) -> str:
    rows = [
        ("seal (create + seal)", result["cerkit_seal_us"], result["nexart_seal_us"]),
        ("verify", result["cerkit_verify_us"], result["nexart_verify_us"]),
    ]
    lines = [
        f"{result['records']} records of ~{result['record_bytes']} bytes; µs per record (median)",
        f"{'':<22}{'cerkit':>10}{'NexArt':>10}{'speedup':>10}",
    ]
    lines += [
        f"{name:<22}{ours:>10.2f}{theirs:>10.2f}{theirs / ours:>9.2f}x"
        for name, ours, theirs in rows
    ]
    lines.append(f"{'floor (3 x sha256)':<22}{result['floor_us']:>10.2f}")
    lines.append("")
    for key, target in TARGETS.items():
        relation = "<=" if key == "cerkit_vs_floor" else ">="
        verdict = "met" if _meets(key, result[key]) else "MISSED"
        lines.append(f"{key:<26}{result[key]:>6.2f}  (target {relation} {target}: {verdict})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--records", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=10)
    options = parser.parse_args(argv)
    result = run(options.records, options.rounds, options.repeats)
    print(json.dumps(result) if options.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
