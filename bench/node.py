"""Attestation node throughput: the real server under 64 concurrent clients.

Starts ``cerkit node serve`` (uvicorn, loopback, random port, SQLite store in a temporary
directory), drives ``POST /v1/attest`` from 64 keep-alive connections for a bounded time,
and prints sustained attestations per second and p50/p99 latency beside the floor: sealing
hash plus receipt signature per record in one process, the work no node can avoid.

The load generator runs in this process with raw asyncio streams (cheaper than any HTTP
client library) but shares the machine's CPUs with the server, so the numbers are a lower
bound for a node on its own machine. Targets on a 2-core machine: >= 2,000 attestations/s
and p99 <= 50 ms.

    python bench/node.py [--seconds 10] [--clients 64] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson

from cerkit.attestation import make_receipt, sign_receipt
from cerkit.keys import generate_private_key
from cerkit.seal import certificate_hash, seal_args

ROOT = Path(__file__).resolve().parent.parent


def make_records(count: int) -> list[bytes]:
    """``count`` distinct sealed records, as request bodies."""
    out = []
    for i in range(count):
        bundle = seal_args(
            {
                "executionId": f"bench-{i}",
                "provider": "openai",
                "model": "gpt-4o",
                "prompt": "You are a careful assistant.",
                "input": f"What is {i} + {i}?",
                "output": str(2 * i),
                "parameters": {"temperature": 0, "maxTokens": 16},
                "timestamp": "2026-01-01T00:00:00.000Z",
            },
            created_at="2026-01-01T00:00:00.000Z",
        )
        out.append(orjson.dumps(bundle))
    return out


def floor_rate(bodies: list[bytes], seconds: float = 2.0) -> float:
    """Records per second for hash + sign alone, in one process."""
    key = generate_private_key()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        bundle = orjson.loads(bodies[done % len(bodies)])
        cert = certificate_hash(bundle)
        sign_receipt(make_receipt(cert, "2026-01-01T00:00:00.000Z", "n", "k", done), key)
        done += 1
    return done / (time.perf_counter() - started)


def start_node(tmp: Path, store: str | None) -> tuple[subprocess.Popen[bytes], int, str]:
    cli = [sys.executable, "-c", "from cerkit.cli import run; run()"]
    store = store or str(tmp / "node.db")
    token = (
        subprocess.run(
            [*cli, "node", "token", "create", "--store", store],
            check=True,
            capture_output=True,
            cwd=tmp,
        )
        .stdout.decode()
        .strip()
    )
    port_file = tmp / "port"
    proc = subprocess.Popen(
        [*cli, "node", "serve", "--store", store, "--port", "0", "--port-file", str(port_file)],
        cwd=tmp,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not port_file.exists():
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise SystemExit("node did not start")
        time.sleep(0.05)
    return proc, int(port_file.read_text()), token


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _client(
    port: int, token: str, bodies: list[bytes], stop: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    head = (
        f"POST /v1/attest HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    try:
        for body in bodies:
            if time.perf_counter() > stop:
                break
            started = time.perf_counter()
            writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            status = await _read_response(reader)
            latencies.append(time.perf_counter() - started)
            errors += status >= 300
    finally:
        writer.close()
    return errors


async def drive(port: int, token: str, bodies: list[bytes], clients: int, seconds: float) -> dict:
    share = len(bodies) // clients
    latencies: list[float] = []
    started = time.perf_counter()
    stop = started + seconds
    errors = await asyncio.gather(
        *(
            _client(port, token, bodies[i * share : (i + 1) * share], stop, latencies)
            for i in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    latencies.sort()
    n = len(latencies)
    return {
        "attestations": n,
        "errors": sum(errors),
        "seconds": round(elapsed, 3),
        "attest_per_s": round(n / elapsed, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 2) if n else None,
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--records", type=int, default=60_000, help="records prepared")
    parser.add_argument(
        "--store",
        help="store URL (default: SQLite in a temporary directory); e.g. an empty "
        "postgresql://... database",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    bodies = make_records(args.records)
    floor = floor_rate(bodies)
    with tempfile.TemporaryDirectory(prefix="cerkit-bench-node-") as tmp:
        proc, port, token = start_node(Path(tmp), args.store)
        try:
            try:
                import uvloop

                uvloop.install()
            except ImportError:
                pass
            # Warm up (connections, caches) before measuring.
            asyncio.run(drive(port, token, bodies[-2000:], args.clients, 1.0))
            result = asyncio.run(drive(port, token, bodies[:-2000], args.clients, args.seconds))
        finally:
            proc.terminate()
            proc.wait(10)
    result["floor_per_s"] = round(floor, 1)
    result["ratio_to_floor"] = round(result["attest_per_s"] / floor, 3)
    result["clients"] = args.clients
    result["cpus"] = os.cpu_count()
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"node: {result['attest_per_s']:,.0f} attestations/s sustained over "
            f"{result['seconds']} s with {args.clients} clients "
            f"(p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, {result['errors']} errors)"
        )
        print(
            f"floor (hash + sign, one process): {floor:,.0f}/s; "
            f"node/floor = {result['ratio_to_floor']}  [targets: >= 2,000/s, p99 <= 50 ms]"
        )
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
