"""Drift: diff of two fully fingerprinted records, and drift analysis over 1,000,000 records.

1. ``diff_ms``: :func:`cerkit.drift.attribution.explain` (execution keys, the facet diff,
   verdict and ranked causes) on two records carrying the real runtime fingerprint of this
   process (``cerkit.capture.fingerprint`` when present), padded to 500 installed packages;
   the records differ in one imported package and in their output. Baseline: ``json.dumps``
   of one of the records. Target: <= 1 ms.
2. ``drift_1m_s``: :func:`cerkit.drift.timeline.analyze` over a synthetic ledger of
   1,000,000 compact rows (certificate hash, execution key, time, outputHash) in 1,000
   execution keys. Each key drifts twice (a package bump, then new weights); 10 keys flip
   output on every record (nondeterminism, capped at 50 explained change points each).
   Full records are rebuilt from JSON bytes only when the pass asks for them (change points
   and one label per key), as a store would read them. Baseline: the floor of iterating the
   1,000,000 rows with one dict lookup each. Target: <= 10 s.
3. For reference (no target): microseconds per record to read those rows from a real
   SQLite record store of ``--store-records`` records (``cerkit drift --store``'s path).

The CPU may be shared with other work; numbers are then noisy upward.

    python bench/drift.py [--records 1000000] [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
from typing import Any

import orjson

from cerkit.drift.attribution import explain
from cerkit.drift.timeline import analyze
from cerkit.seal import certificate_hash, seal_args

PACKAGES = 500
KEYS = 1000
FLAPPING_KEYS = 10


def environment() -> dict[str, Any]:
    """This process's fingerprint (or a synthetic one of the same shape), 500 packages."""
    try:
        from cerkit.capture.fingerprint import fingerprint

        env: dict[str, Any] = copy.deepcopy(fingerprint())
    except ImportError:
        env = {
            "schema": "cerkit.environment.v1",
            "python": {"source": "sys", "implementation": "CPython", "version": "3.11.7"},
            "os": {"source": "platform", "system": "Linux", "release": "6.1", "libc": "glibc"},
            "hardware": {"source": "proc", "cpuModel": "Xeon", "cores": 2, "isaFlags": ["avx2"]},
            "numeric": {"source": "threadpoolctl", "blas": [{"vendor": "openblas"}]},
            "packages": {"source": "importlib.metadata", "installed": {}},
            "imported": {"source": "sys.modules", "packages": {}},
            "envVars": {"source": "allowlist", "values": {"OMP_NUM_THREADS": "2"}},
        }
    installed = env["packages"]["installed"]
    for i in range(PACKAGES - len(installed)):
        installed[f"synthetic-package-{i:03d}"] = f"1.{i % 17}.{i % 5}"
    installed["tinypkg"] = "1.0"
    env["packages"]["count"] = len(installed)
    env["imported"]["packages"] = {**env["imported"].get("packages", {}), "tinypkg": "1.0"}
    return env


def record(env: dict[str, Any], *, output: Any, key: int = 0, weights: str = "a") -> Any:
    return seal_args(
        {
            "executionId": "e",
            "provider": "python",
            "model": "app.score:predict",
            "prompt": "app.score:predict",
            "input": {"args": [key], "kwargs": {}},
            "output": output,
            "parameters": {"temperature": 0, "maxTokens": 0, "topP": None, "seed": None},
            "timestamp": "2026-01-01T00:00:00.000Z",
            "effectiveParameters": {"threshold": 0.5},
            "modelIdentity": {"weightsDigest": "sha256:" + weights * 64},
            "execution": {"kind": "python", "entryPoint": "app.score:predict",
                          "codeDigest": "sha256:" + "c" * 64, "status": "ok"},
            "environment": env,
        },
        created_at="2026-01-01T00:00:00.000Z",
    )  # fmt: skip


def bench_diff(rounds: int) -> tuple[float, float]:
    env_a = environment()
    env_b = copy.deepcopy(env_a)
    env_b["packages"]["installed"]["tinypkg"] = "2.0"
    env_b["imported"]["packages"]["tinypkg"] = "2.0"
    a, b = record(env_a, output=0.75), record(env_b, output=0.8)
    assert explain(a, b).causes[0].subject == "tinypkg"
    start = time.perf_counter()
    for _ in range(rounds):
        explain(a, b)
    diff_ms = (time.perf_counter() - start) / rounds * 1000
    start = time.perf_counter()
    for _ in range(rounds):
        json.dumps(a)
    return diff_ms, (time.perf_counter() - start) / rounds * 1000


def synthetic_ledger(count: int) -> tuple[list[tuple[str, str, str, str]], Any]:
    """``count`` rows in time order and a loader that rebuilds any record on demand."""
    per_key = count // KEYS
    keys = [f"sha256:{k:064x}" for k in range(KEYS)]
    outs = [f"sha256:{o:064x}" for o in range(3)]
    rows = []
    for i in range(per_key):
        segment = 0 if i < per_key * 2 // 5 else 1 if i < per_key * 4 // 5 else 2
        stamp = f"2026-01-01T00:00:00.{i:09d}"
        for k in range(KEYS):
            out = outs[i % 2] if k < FLAPPING_KEYS else outs[segment]
            rows.append((f"{k}:{i}", keys[k], stamp, out))
    template = orjson.dumps(record(environment(), output=0))

    def load(cert: str) -> Any:
        key, index = map(int, cert.split(":"))
        bundle = orjson.loads(template)  # a fresh object per read, as from a store
        snapshot = bundle["snapshot"]
        snapshot["inputHash"] = keys[key]
        flapping = key < FLAPPING_KEYS
        segment = 0 if index < per_key * 2 // 5 else 1 if index < per_key * 4 // 5 else 2
        snapshot["outputHash"] = outs[index % 2] if flapping else outs[segment]
        if not flapping and segment >= 1:
            snapshot["environment"]["packages"]["installed"]["tinypkg"] = "2.0"
            snapshot["environment"]["imported"]["packages"]["tinypkg"] = "2.0"
        if not flapping and segment == 2:
            snapshot["modelIdentity"]["weightsDigest"] = "sha256:" + "b" * 64
        bundle["certificateHash"] = cert
        return bundle

    return rows, load


def bench_drift(count: int) -> tuple[float, float, Any]:
    rows, load = synthetic_ledger(count)
    start = time.perf_counter()
    seen: dict[str, int] = {}
    for _cert, key, _time, _out in rows:
        seen.get(key)
    floor = time.perf_counter() - start
    start = time.perf_counter()
    timeline = analyze(rows, load)
    return time.perf_counter() - start, floor, timeline


def bench_store_rows(count: int) -> float | None:
    """Microseconds per record to read the rows of a real SQLite record store (the CLI's
    path to the timeline pass), or None when no SQLite store backend is installed."""
    try:
        from cerkit.drift.sources import ledger_from_store
        from cerkit.ledger import open_store
    except ImportError:
        return None
    env = environment()
    with tempfile.TemporaryDirectory() as scratch:
        url = os.path.join(scratch, "ledger.db")
        store = open_store(url)
        for i in range(count):
            bundle = record(env, output=i % 3, key=i % 50)
            bundle["createdAt"] = f"2026-01-01T00:00:00.{i:09d}"
            bundle["certificateHash"] = certificate_hash(bundle)
            store.put(bundle)
        store.close()
        start = time.perf_counter()
        ledger = ledger_from_store(url)
        elapsed = time.perf_counter() - start
        ledger.close()
    assert len(ledger.rows) == count
    return elapsed / count * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--store-records", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    diff_ms, dumps_ms = bench_diff(args.rounds)
    drift_s, floor_s, timeline = bench_drift(args.records)
    store_us = bench_store_rows(args.store_records) if args.store_records else None
    verdicts = timeline.verdicts()
    if args.json:
        result = {"diff_ms": round(diff_ms, 4), "diff_baseline_json_dumps_ms": round(dumps_ms, 4),
                  "drift_1m_s": round(drift_s, 3), "drift_baseline_iterate_s": round(floor_s, 3),
                  "records": timeline.records, "change_points": len(timeline.change_points()),
                  "verdicts": verdicts, "store_rows_us_per_record": store_us}  # fmt: skip
        print(json.dumps(result))
    else:
        print(f"diff of two fingerprinted records: {diff_ms:.3f} ms "
              f"(json.dumps of one record: {dumps_ms:.3f} ms, ratio {diff_ms / dumps_ms:.2f}x; "
              f"target <= 1 ms)")  # fmt: skip
        points = len(timeline.change_points())
        print(f"drift over {timeline.records:,} records: {drift_s:.2f} s "
              f"(iterating the rows: {floor_s:.2f} s, ratio {drift_s / floor_s:.1f}x; "
              f"target <= 10 s); {points:,} change points {verdicts}")  # fmt: skip
        if store_us is not None:
            print(f"rows from a SQLite record store ({args.store_records:,} records): "
                  f"{store_us:.1f} us per record")  # fmt: skip
    return 0 if diff_ms <= 1.0 and drift_s <= 10.0 else 1


if __name__ == "__main__":
    sys.exit(main())
