"""Portal: response time of the record page and of ledger pages over a 1,000,000-record store.

A real uvicorn server on a loopback port serves the portal (``cerkit.portal.app``) over a
SQLite record store of ``--records`` sealed records, and beside it two bare endpoints that
answer the same rows straight from the store as JSON, with no portal code: the baseline.
One HTTP/1.1 keep-alive client times, for each page, ``--requests`` requests and reports
the median:

1. ``record_page_ms``: ``GET /c/{certificateHash}`` (the record read, verified by
   ``cerkit.verify.verify_bundle``, cut into sections, the fingerprint tree rendered), over
   a sample of records; baseline ``GET /bare/c/{hash}``: ``RecordStore.get`` of the same
   records, dumped as JSON.
2. ``ledger_first_ms``: ``GET /records?model=...`` (the filtered first page); baseline
   ``RecordStore.browse`` of the same page.
3. ``ledger_deep_ms``: the same filter ``--depth`` pages deep (the page a reader reaches by
   following *Older* links: ``before=`` the cursor, never an offset); baseline the same
   keyset read.
4. ``ledger_verdict_ms``: ``GET /records?verdict=changed`` (the output change points, from
   the ``records_verdict`` index); baseline the same read.

Targets: <= 50 ms per page, and <= 3x the baseline. The baseline is the bare store read of
the same rows served over the same HTTP stack, so the ratio is what the portal adds (query
checks, verification, rendering, escaping); the in-process store read (no HTTP) is printed
beside it as the floor.

The store holds 2,000 execution keys (20 entry points, 10 models; each key's output changes
every 50 runs, 1 % of runs failed); the 50 records whose pages are timed carry this
process's full runtime fingerprint, the others a compact one (sealing hashes the whole
snapshot; the full one everywhere would only make the build longer). It is built once,
through the store's own bulk write path (``put_many`` in transactions of 50,000; the same
indexes and verdict chain as any write), and cached under
the system temp dir (``cerkit-bench/``) keyed by the store schema, this generator's version
and the record count; it is rebuilt when any changes. The build time is reported when it
happens. The CPU may be shared with other work; numbers are then noisy upward.

    python bench/portal.py [--records 1000000] [--requests 200] [--depth 100] [--cache DIR]
                           [--json]
"""

from __future__ import annotations

import argparse
import copy
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from cerkit.ledger import _sqlite_rows
from cerkit.ledger.base import BrowseQuery
from cerkit.ledger.sqlite import SQLiteRecordStore
from cerkit.portal.app import Portal, portal_app
from cerkit.portal.source import PAGE_ROWS, StoreSource
from cerkit.seal import seal_args

#: Bump when the generated records change, so a cached store is rebuilt.
DATA_VERSION = 1
CACHE = Path(tempfile.gettempdir()) / "cerkit-bench"
BULK = 50_000
KEYS = 2_000  # execution keys; each key's output changes now and then
MODELS = 10
ENTRY_POINTS = 20
SAMPLE = 50  # records whose pages are timed
TARGET_MS = 50.0
TARGET_RATIO = 3.0


def environment() -> dict[str, Any]:
    """This process's runtime fingerprint (what a recorded record carries)."""
    from cerkit.capture.fingerprint import fingerprint

    return copy.deepcopy(fingerprint())


def small_environment() -> dict[str, Any]:
    """A compact fingerprint of the same shape, for the records no page of the run shows:
    sealing hashes the whole snapshot, and a full fingerprint per record would make the
    one-time build several times longer without changing what is timed."""
    installed = {f"pkg-{i:02d}": f"1.{i % 7}.{i % 3}" for i in range(40)}
    return {
        "schema": "cerkit.environment.v1",
        "python": {"source": "sys", "implementation": "CPython", "version": "3.11.7"},
        "packages": {"source": "importlib.metadata", "count": 40, "installed": installed},
    }


def sampled(i: int, count: int) -> bool:
    """Whether record ``i`` is one of the :data:`SAMPLE` records whose page is timed."""
    return i % max(1, count // SAMPLE) == 0


def record(i: int, env: dict[str, Any]) -> Any:
    key = i % KEYS
    second, milli = divmod(i, 1000)
    created = f"2026-01-{1 + second // 86400:02d}T{second // 3600 % 24:02d}:"
    created += f"{second // 60 % 60:02d}:{second % 60:02d}.{milli:03d}Z"
    entry = f"app.step{key % ENTRY_POINTS}:run"
    return seal_args(
        {
            "executionId": f"bench-{i}",
            "provider": "python",
            "model": f"model-{key % MODELS}",
            "prompt": entry,
            "input": {"args": [key], "kwargs": {}},
            "output": {"score": (i // (KEYS * 50)) % 3},  # changes every 50 runs of a key
            "parameters": {"temperature": 0, "maxTokens": 0},
            "effectiveParameters": {"threshold": 0.5},
            "execution": {
                "kind": "python",
                "entryPoint": entry,
                "status": "error" if i % 101 == 0 else "ok",
            },
            "environment": env,
        },
        created_at=created,
    )


def cached_store(count: int, cache: Path = CACHE) -> tuple[Path, float | None]:
    """The benchmark store of ``count`` records in ``cache``, and its build time when built
    now."""
    path = cache / f"portal-{count}.db"
    stamp = path.with_suffix(".json")
    want = {"schema": _sqlite_rows.SCHEMA_VERSION, "data": DATA_VERSION, "records": count}
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == want:
        return path, None
    cache.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    start = time.perf_counter()
    full, small = environment(), small_environment()
    store = SQLiteRecordStore(path)
    try:
        for first in range(0, count, BULK):
            last = min(count, first + BULK)
            store.put_many(
                record(i, full if sampled(i, count) else small) for i in range(first, last)
            )
            print(f"built {min(count, first + BULK):,} records", end="\r", file=sys.stderr)
        store.flush()
    finally:
        store.close()
    stamp.write_text(json.dumps(want))
    return path, time.perf_counter() - start


def bare_routes(store: SQLiteRecordStore) -> list[Route]:
    """The baseline: the same rows read from the store and answered as JSON, nothing else."""

    def bare_record(request: Request) -> Response:
        return Response(orjson.dumps(store.get(request.path_params["cert"])))

    def bare_page(request: Request) -> Response:
        params = request.query_params
        before = params.get("before")
        position = None if before is None else (before[:-72], before[-71:])
        query = BrowseQuery(
            model=params.get("model"),
            verdict=params.get("verdict"),
            before=position,
            limit=PAGE_ROWS + 1,
        )
        rows = store.browse(query)
        return Response(orjson.dumps([_row(r) for r in rows]))

    return [
        Route("/bare/c/{cert}", bare_record, methods=["GET"]),
        Route("/bare/records", bare_page, methods=["GET"]),
    ]


def _row(row: Any) -> list[Any]:
    return [getattr(row, name) for name in row.__slots__]


def serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def median_ms(client: httpx.Client, urls: list[str], requests: int) -> float:
    times = []
    for n in range(requests):
        url = urls[n % len(urls)]
        start = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        if answer.status_code != 200:
            raise SystemExit(f"{url}: {answer.status_code} {answer.text[:200]}")
    return statistics.median(times)


def floor_ms(read: Any, items: list[Any], requests: int) -> float:
    times = []
    for n in range(requests):
        start = time.perf_counter()
        read(items[n % len(items)])
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def deep_cursor(store: SQLiteRecordStore, model: str, depth: int) -> str:
    """The ``before=`` cursor of page ``depth`` of a model's records, walked by keyset."""
    before = None
    for _ in range(depth):
        rows = store.browse(BrowseQuery(model=model, before=before, limit=PAGE_ROWS))
        before = (rows[-1].created_at, rows[-1].certificate_hash)
    assert before is not None
    return f"{before[0]}~{before[1]}"


def measure(path: Path, requests: int, depth: int) -> dict[str, Any]:
    store = SQLiteRecordStore(path)
    count = store.count()
    sample = [
        row.certificate_hash
        for i in range(0, count, max(1, count // SAMPLE))
        for row in store.browse(BrowseQuery(execution_id=f"bench-{i}"))
    ]
    model = "model-3"
    depth = max(1, min(depth, count // MODELS // PAGE_ROWS - 1))
    cursor = deep_cursor(store, model, depth)
    portal = Portal(StoreSource(store))
    app = Starlette(routes=[*bare_routes(store), Mount("/", portal_app(portal))])
    server, thread, base = serve(app)
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for url in ("/records", f"/c/{sample[0]}"):
                client.get(url)  # warm: templates compiled, caches filled
            deep = {"model": model, "before": cursor}
            pages = {
                "record_page": ([f"/c/{c}" for c in sample], [f"/bare/c/{c}" for c in sample]),
                "ledger_first": ([f"/records?model={model}"], [f"/bare/records?model={model}"]),
                "ledger_deep": (
                    ["/records?" + httpx.QueryParams(deep).__str__()],
                    ["/bare/records?" + httpx.QueryParams(deep).__str__()],
                ),
                "ledger_verdict": (["/records?verdict=changed"], ["/bare/records?verdict=changed"]),
            }
            result: dict[str, Any] = {"records": count, "deep_page": depth + 1}
            for name, (urls, bare) in pages.items():
                result[f"{name}_ms"] = round(median_ms(client, urls, requests), 3)
                result[f"{name}_baseline_http_ms"] = round(median_ms(client, bare, requests), 3)
        position = (cursor[:-72], cursor[-71:])
        floors = {
            "record_page": floor_ms(store.get, sample, requests),
            "ledger_first": floor_ms(
                lambda _: store.browse(BrowseQuery(model=model, limit=PAGE_ROWS + 1)), [0], requests
            ),
            "ledger_verdict": floor_ms(
                lambda _: store.browse(BrowseQuery(verdict="changed", limit=PAGE_ROWS + 1)),
                [0],
                requests,
            ),
            "ledger_deep": floor_ms(
                lambda _: store.browse(
                    BrowseQuery(model=model, before=position, limit=PAGE_ROWS + 1)
                ),
                [0],
                requests,
            ),
        }
    finally:
        server.should_exit = True
        thread.join(10)
        store.close()
    for name, floor in floors.items():
        result[f"{name}_floor_store_ms"] = round(floor, 3)
        result[f"{name}_ratio"] = round(
            result[f"{name}_ms"] / result[f"{name}_baseline_http_ms"], 2
        )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="requests per page timed")
    parser.add_argument("--depth", type=int, default=100, help="pages deep for the deep page")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"store cache ({CACHE})")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    path, build_s = cached_store(args.records, args.cache)
    result = measure(path, args.requests, args.depth)
    result["store_build_s"] = None if build_s is None else round(build_s, 1)
    result["store_mb"] = round(path.stat().st_size / 1e6, 1)
    names = ("record_page", "ledger_first", "ledger_deep", "ledger_verdict")
    ok = all(result[f"{n}_ms"] <= TARGET_MS and result[f"{n}_ratio"] <= TARGET_RATIO for n in names)
    result["ok"] = ok
    if args.json:
        print(json.dumps(result))
        return 0 if ok else 1
    built = "cached" if build_s is None else f"built in {build_s:.0f} s"
    print(f"store: {path} ({result['store_mb']:.0f} MB, {result['records']:,} records, {built})")
    labels = {
        "record_page": "record page /c/{hash}",
        "ledger_first": "ledger, first page, filtered by model",
        "ledger_deep": f"ledger, page {result['deep_page']} by keyset, same filter",
        "ledger_verdict": "ledger, first page, filtered by verdict=changed",
    }
    for name in names:
        print(
            f"{labels[name]}: {result[f'{name}_ms']:.2f} ms median"
            f" (bare store read over HTTP {result[f'{name}_baseline_http_ms']:.2f} ms,"
            f" ratio {result[f'{name}_ratio']:.2f}x; in-process store read"
            f" {result[f'{name}_floor_store_ms']:.3f} ms; targets <= {TARGET_MS:.0f} ms,"
            f" <= {TARGET_RATIO:.0f}x)"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
