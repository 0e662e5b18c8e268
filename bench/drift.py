"""Drift: diff of two fingerprinted records; ``cerkit drift`` over a 1,000,000-record store.

1. ``diff_ms``: :func:`cerkit.drift.attribution.explain` (execution keys, the facet diff,
   verdict and ranked causes) on two records carrying the real runtime fingerprint of this
   process (``cerkit.capture.fingerprint`` when present), padded to 500 installed packages;
   the records differ in one imported package and in their output. Baseline: ``json.dumps``
   of one of the records. Target: <= 1 ms.
2. ``drift_1m_s``: the whole ``cerkit drift --store PATH`` analysis, in process, over a real
   SQLite record store of 1,000,000 sealed records: open the store, read its index rows,
   find the change points, explain each (full records read from the store), render the
   summary. The store holds 1,000 execution keys of 1,000 records each; each key drifts
   twice (a package bump, then new weights) and 10 keys flip output on every record
   (nondeterminism, capped at 50 explained change points each). Reported beside it, from
   the same run: the time to read the rows, the in-memory analysis of those rows (change
   points and explanations), and a read-only floor: a bare ``sqlite3`` iteration of the
   same four columns over the same covering index. Target: <= 10 s.

   The store is built once (``--records`` sealed records bulk-loaded with
   ``SQLiteRecordStore.put_many`` in transactions of 50,000) and cached in ``.cache/bench/``
   (git-ignored); it is rebuilt when absent, or when the store schema, this generator or
   the record count changed. The build time is reported when it happens.

The CPU may be shared with other work; numbers are then noisy upward. The store file is
read warm (in the OS page cache) after its first use; ``--cold`` evicts it before each
timed read (``posix_fadvise(DONTNEED)`` on the store file only).

    python bench/drift.py [--records 1000000] [--runs 3] [--cold] [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cerkit.drift.attribution import explain
from cerkit.drift.render import timeline_text
from cerkit.drift.sources import rows_from_store
from cerkit.drift.timeline import Timeline, analyze
from cerkit.ledger import _sqlite_rows
from cerkit.ledger._sqlite_index import MMAP_BYTES
from cerkit.ledger.sqlite import SQLiteRecordStore
from cerkit.seal import seal_args

PACKAGES = 500
KEYS = 1000
FLAPPING_KEYS = 10
#: Bump when the generated records change, so a cached store is rebuilt.
DATA_VERSION = 1
CACHE = Path(__file__).resolve().parent.parent / ".cache" / "bench"
BULK = 50_000
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


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


def small_environment(tinypkg: str) -> dict[str, Any]:
    """A compact but real-shaped runtime fingerprint (stored once per distinct value)."""
    installed = {f"pkg-{i:02d}": f"1.{i % 7}.{i % 3}" for i in range(40)}
    installed["tinypkg"] = tinypkg
    return {
        "schema": "cerkit.environment.v1",
        "python": {"source": "sys", "implementation": "CPython", "version": "3.11.7"},
        "os": {"source": "platform", "system": "Linux", "release": "6.1", "libc": "glibc"},
        "packages": {"source": "importlib.metadata", "count": len(installed),
                     "installed": installed},
        "imported": {"source": "sys.modules", "packages": {"tinypkg": tinypkg}},
    }  # fmt: skip


def ledger_record(key: int, index: int, per_key: int, envs: list[dict[str, Any]]) -> Any:
    """Record ``index`` of execution key ``key``: sealed, with a small snapshot."""
    flapping = key < FLAPPING_KEYS
    segment = 0 if index < per_key * 2 // 5 else 1 if index < per_key * 4 // 5 else 2
    output = index % 2 if flapping else segment
    weights = "b" if not flapping and segment == 2 else "a"
    env = envs[0] if flapping or segment == 0 else envs[1]
    created = EPOCH + timedelta(milliseconds=index * KEYS + key)
    stamp = created.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return seal_args(
        {
            "executionId": f"run-{key}-{index}",
            "provider": "python",
            "model": "app.score:predict",
            "prompt": "app.score:predict",
            "input": {"args": [key], "kwargs": {}},
            "output": {"score": output},
            "parameters": {"temperature": 0, "maxTokens": 0, "topP": None, "seed": None},
            "timestamp": stamp,
            "effectiveParameters": {"threshold": 0.5},
            "modelIdentity": {"weightsDigest": "sha256:" + weights * 64},
            "execution": {"kind": "python", "entryPoint": "app.score:predict",
                          "codeDigest": "sha256:" + "c" * 64, "status": "ok"},
            "environment": env,
        },
        created_at=stamp,
    )  # fmt: skip


def cached_store(count: int) -> tuple[Path, float | None]:
    """The benchmark store of ``count`` records, and its build time when built now."""
    path = CACHE / f"drift-{count}.db"
    stamp = path.with_suffix(".json")
    want = {"schema": _sqlite_rows.SCHEMA_VERSION, "data": DATA_VERSION, "records": count}
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == want:
        return path, None
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    start = time.perf_counter()
    per_key = count // KEYS
    envs = [small_environment("1.0"), small_environment("2.0")]
    store = SQLiteRecordStore(path)
    try:
        batch: list[Any] = []
        for index in range(per_key):
            batch.extend(ledger_record(k, index, per_key, envs) for k in range(KEYS))
            if len(batch) >= BULK or index == per_key - 1:
                store.put_many(batch)
                batch = []
                print(f"built {(index + 1) * KEYS:,} records", end="\r", file=sys.stderr)
        store.flush()
    finally:
        store.close()
    stamp.write_text(json.dumps(want))
    return path, time.perf_counter() - start


def end_to_end(path: Path) -> tuple[dict[str, float], Timeline]:
    """``cerkit drift --store PATH`` in process, timed as a whole and by phase."""
    start = time.perf_counter()
    ledger = rows_from_store(str(path))
    try:
        read = time.perf_counter()
        timeline = analyze(ledger.rows, ledger.load)
        analyzed = time.perf_counter()
        summary = timeline_text(timeline)
    finally:
        ledger.close()
    end = time.perf_counter()
    assert summary and timeline.records == len(ledger.rows)
    phases = {"total": end - start, "read": read - start, "analyze": analyzed - read,
              "render": end - analyzed}  # fmt: skip
    return phases, timeline


def evict(path: Path) -> None:
    """Drop the store file's pages from the OS page cache (this file only), for a cold read."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def floor(path: Path) -> float:
    """A bare ``sqlite3`` iteration of the rows ``index_rows`` reads (same covering index,
    same connection settings), keeping none of them."""
    start = time.perf_counter()
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")  # the connection settings of index_rows
    try:
        sql = (
            _sqlite_rows.INDEX_ROWS + " WHERE replay_of IS NULL ORDER BY execution_key, created_at"
        )
        for _row in db.execute(sql):
            pass
    finally:
        db.close()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3, help="end-to-end runs (best reported)")
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--cold", action="store_true", help="evict the store from the page cache")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    diff_ms, dumps_ms = bench_diff(args.rounds)
    path, build_s = cached_store(args.records)
    runs = []
    for _ in range(args.runs):
        if args.cold:
            evict(path)
        phases, timeline = end_to_end(path)
        if args.cold:
            evict(path)
        floor_s = floor(path)
        runs.append((phases, floor_s))
    best, floor_s = min(runs, key=lambda r: r[0]["total"])
    drift_s = best["total"]
    verdicts = timeline.verdicts()
    points = len(timeline.change_points())
    if args.json:
        result = {"diff_ms": round(diff_ms, 4), "diff_baseline_json_dumps_ms": round(dumps_ms, 4),
                  "drift_1m_s": round(drift_s, 3), "drift_read_rows_s": round(best["read"], 3),
                  "drift_analyze_in_memory_s": round(best["analyze"], 3),
                  "drift_render_s": round(best["render"], 3),
                  "drift_baseline_sqlite_floor_s": round(floor_s, 3),
                  "drift_runs_s": [round(r[0]["total"], 3) for r in runs],
                  "store_build_s": None if build_s is None else round(build_s, 1),
                  "store_mb": round(path.stat().st_size / 1e6, 1), "cold": args.cold,
                  "records": timeline.records, "change_points": points,
                  "verdicts": verdicts}  # fmt: skip
        print(json.dumps(result))
    else:
        print(f"diff of two fingerprinted records: {diff_ms:.3f} ms "
              f"(json.dumps of one record: {dumps_ms:.3f} ms, ratio {diff_ms / dumps_ms:.2f}x; "
              f"target <= 1 ms)")  # fmt: skip
        built = "cached" if build_s is None else f"built in {build_s:.0f} s"
        built += ", read cold" if args.cold else ", read warm"
        print(f"store: {path} ({path.stat().st_size / 1e6:.0f} MB, {built})")
        each = ", ".join(f"{r[0]['total']:.2f}" for r in runs)
        print(f"cerkit drift --store over {timeline.records:,} records: {drift_s:.2f} s end to "
              f"end (target <= 10 s; runs: {each} s)")  # fmt: skip
        print(f"  read rows {best['read']:.2f} s | analyze in memory {best['analyze']:.2f} s | "
              f"render {best['render']:.2f} s")  # fmt: skip
        print(f"  floor (bare sqlite3 iteration of the same rows): {floor_s:.2f} s, "
              f"ratio {drift_s / floor_s:.1f}x; {points:,} change points {verdicts}")  # fmt: skip
    return 0 if diff_ms <= 1.0 and drift_s <= 10.0 else 1


if __name__ == "__main__":
    sys.exit(main())
