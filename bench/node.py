"""Attestation node throughput: single records, batches and the hash + sign floor, on SQLite
and PostgreSQL, with one node process, with two (``--workers 2``) and with two replicas
sharing one PostgreSQL database.

Each scenario starts the real server (``cerkit node serve``: uvicorn, loopback, random port)
on a fresh store, then drives, for ``--seconds`` each after a warm-up:

* ``POST /v1/attest`` from ``--clients`` (64) keep-alive connections, one record a request;
* ``POST /v1/attest/batch`` from ``--batch-clients`` (4) connections, ``--batch-size``
  records a request.

Two workers are one ``cerkit node serve --workers 2`` (two processes on one port, the kernel
spreading connections); two replicas are two ``cerkit node serve`` processes on one
PostgreSQL database and one key, the clients split evenly between them (as a load balancer
does). The floor: hashing and
signing one record in one process, the work no node can avoid. The load generator (raw
asyncio streams, answers read but not parsed) shares the CPUs with the nodes: on a 2-core
machine two processes split the same two cores and cannot show scaling beyond them.
``server_cpu_us`` and ``client_cpu_us`` are the CPU time per record of the nodes (all their
processes) and of the load generator.

    python bench/node.py [--seconds 5] [--json] [--pg URL | --no-pg]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cerkit.attestation import make_receipt, sign_receipt
from cerkit.keys import generate_private_key
from cerkit.node.limits import MAX_ATTEST_BATCH
from cerkit.seal import certificate_hash, seal_args

#: Targets on the 2-core development machine, clients included (issue 16).
TARGETS = {"sqlite_single_per_s": 8000, "sqlite_single_p99_ms": 25, "batch_per_s": 20000}
TARGETS["postgres_single_per_s"] = 3000
PG_DEFAULT = os.environ.get("CERKIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
CLI = [sys.executable, "-c", "from cerkit.cli import run; run()"]
#: Records prepared per second of a phase: above what either phase can reach here.
SINGLE_PER_S, BATCH_PER_S = 12_000, 30_000
WARM_UP = 2_000


def make_records(count: int) -> list[bytes]:
    """``count`` distinct sealed records, as request bodies."""
    import orjson

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


@dataclass
class Load:
    """The prepared records and how the phases use them (every store is fresh, so each
    scenario can send the same records)."""

    seconds: float
    clients: int
    batch_clients: int
    batch_size: int
    bodies: list[bytes]

    @property
    def warm_up(self) -> list[bytes]:
        return self.bodies[-WARM_UP:]

    def split(self) -> tuple[list[bytes], list[bytes]]:
        """Records for the single phase and for the batch phase."""
        rest = self.bodies[:-WARM_UP]
        cut = len(rest) * SINGLE_PER_S // (SINGLE_PER_S + BATCH_PER_S)
        return rest[:cut], rest[cut:]

    def batches(self, bodies: list[bytes]) -> list[bytes]:
        size = self.batch_size
        return [b"[" + b",".join(bodies[i : i + size]) + b"]" for i in range(0, len(bodies), size)]


@dataclass
class Node:
    proc: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        """User + system CPU time so far of the process (all its threads) and its workers."""
        return sum(_cpu_seconds(pid) for pid in [self.proc.pid, *_children(self.proc.pid)])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The worker processes of a ``--workers`` node (none for one process)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def start_nodes(
    tmp: Path, store: str | None, replicas: int, workers: int = 1
) -> tuple[list[Node], str]:
    """``replicas`` nodes of ``workers`` processes each, on one store and one key (the first
    creates the key)."""
    store = store or str(tmp / "node.db")
    created = subprocess.run(
        [*CLI, "node", "token", "create", "--store", store],
        check=True,
        capture_output=True,
        cwd=tmp,
    )
    nodes: list[Node] = []
    for i in range(replicas):
        port_file = tmp / f"port{i}"
        serve = ["node", "serve", "--store", store, "--port", "0", "--port-file", str(port_file)]
        serve += ["--workers", str(workers)]
        proc = subprocess.Popen([*CLI, *serve], cwd=tmp, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not port_file.exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                stop_nodes(nodes)
                raise SystemExit("node did not start")
            time.sleep(0.05)
        nodes.append(Node(proc, int(port_file.read_text())))
    return nodes, created.stdout.decode().strip()


def stop_nodes(nodes: list[Node]) -> None:
    for node in nodes:
        node.proc.terminate()
    for node in nodes:
        node.proc.wait(30)


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
    port: int, path: str, token: str, bodies: list[bytes], stop: float, latencies: list[float]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    errors = 0
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
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


async def drive(
    ports: list[int],
    token: str,
    bodies: list[bytes],
    per_body: int,
    clients: int,
    seconds: float,
    nodes: list[Node],
) -> dict[str, Any]:
    """Send ``bodies`` (``per_body`` records each) from ``clients`` connections spread over
    ``ports`` until they run out or ``seconds`` pass."""
    path = "/v1/attest" if per_body == 1 else "/v1/attest/batch"
    latencies: list[float] = []
    cpu = sum(n.cpu_seconds() for n in nodes)
    mine = time.process_time()
    started = time.perf_counter()
    stop = started + seconds
    errors = await asyncio.gather(
        *(
            _client(ports[i % len(ports)], path, token, bodies[i::clients], stop, latencies)
            for i in range(clients)
        )
    )
    elapsed = time.perf_counter() - started
    cpu = sum(n.cpu_seconds() for n in nodes) - cpu
    mine = time.process_time() - mine
    latencies.sort()
    n = len(latencies)
    records = n * per_body
    return {
        "records": records,
        "requests": n,
        "errors": sum(errors),
        "seconds": round(elapsed, 3),
        "per_s": round(records / elapsed, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 2) if n else None,
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 2) if n else None,
        "server_cpu_us": round(cpu / records * 1e6, 1) if records else None,
        "client_cpu_us": round(mine / records * 1e6, 1) if records else None,
    }


def floor_rate(bodies: list[bytes], seconds: float = 2.0) -> float:
    """Records per second for hash + sign alone, in one process."""
    import orjson

    key = generate_private_key()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        bundle = orjson.loads(bodies[done % len(bodies)])
        cert = certificate_hash(bundle)
        sign_receipt(make_receipt(cert, "2026-01-01T00:00:00.000Z", "n", "k", done), key)
        done += 1
    return done / (time.perf_counter() - started)


@contextlib.contextmanager
def pg_database(admin: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one scenario, dropped afterwards."""
    import psycopg

    name = f"cerkit_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_problem(admin: str) -> str | None:
    try:
        import psycopg

        psycopg.connect(admin, connect_timeout=3).close()
    except Exception as exc:
        return f"no PostgreSQL at {admin} ({type(exc).__name__})"
    return None


def pg_connections(admin: str, url: str) -> dict[str, int]:
    """Connections the nodes hold on their database now, and the server's limit."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s"
        row = conn.execute(sql, (name,)).fetchone()
        limit = conn.execute("SHOW max_connections").fetchone()
    return {"held": int(row[0]) if row else 0, "max_connections": int(limit[0]) if limit else 0}


@dataclass(frozen=True)
class Deployment:
    """One column of the table: a backend, how many nodes, how many processes each."""

    name: str
    heading: str
    backend: str
    replicas: int = 1
    workers: int = 1


PLAN = (
    Deployment("sqlite", "SQLite, 1 process", "sqlite"),
    Deployment("sqlite_2_workers", "SQLite, --workers 2", "sqlite", workers=2),
    Deployment("postgres", "PostgreSQL, 1 process", "postgres"),
    Deployment("postgres_2_workers", "PostgreSQL, --workers 2", "postgres", workers=2),
    Deployment("postgres_2_replicas", "PostgreSQL, 2 replicas", "postgres", replicas=2),
)


def scenario(
    store: str | None, deployment: Deployment, load: Load, tmp: Path, admin: str | None = None
) -> dict[str, Any]:
    """One deployment: the single-record phase, then the batch phase."""
    nodes, token = start_nodes(tmp, store, deployment.replicas, deployment.workers)
    try:
        ports = [n.port for n in nodes]
        single, batch = load.split()
        asyncio.run(drive(ports, token, load.warm_up, 1, load.clients, 1.0, nodes))
        phase = drive(ports, token, single, 1, load.clients, load.seconds, nodes)
        out: dict[str, Any] = {"single": asyncio.run(phase)}
        phase = drive(
            ports,
            token,
            load.batches(batch),
            load.batch_size,
            load.batch_clients,
            load.seconds,
            nodes,
        )
        out["batch"] = asyncio.run(phase)
        if admin is not None and store is not None:
            out["connections"] = pg_connections(admin, store)
    finally:
        stop_nodes(nodes)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    count = args.records or int(args.seconds * (SINGLE_PER_S + BATCH_PER_S)) + WARM_UP
    load = Load(
        args.seconds, args.clients, args.batch_clients, args.batch_size, make_records(count)
    )
    result: dict[str, Any] = {"prepare_s": round(time.perf_counter() - started, 1)}
    result["floor_per_s"] = round(floor_rate(load.warm_up), 1)
    plan = [p for p in PLAN if p.backend == "sqlite"]
    problem = "skipped (--no-pg)" if args.no_pg else pg_problem(args.pg)
    if problem is None:
        plan = list(PLAN)
    else:
        result["postgres"] = problem
    scenarios: dict[str, Any] = {}
    for p in plan:
        with tempfile.TemporaryDirectory(prefix="cerkit-bench-node-") as tmp:
            if p.backend == "sqlite":
                scenarios[p.name] = scenario(None, p, load, Path(tmp))
            else:
                with pg_database(args.pg) as url:
                    scenarios[p.name] = scenario(url, p, load, Path(tmp), args.pg)
    result["scenarios"] = scenarios
    floor = result["floor_per_s"]
    for measured in scenarios.values():
        for phase in ("single", "batch"):
            measured[phase]["ratio_to_floor"] = round(measured[phase]["per_s"] / floor, 3)
    result.update(clients=args.clients, batch_clients=args.batch_clients, cpus=os.cpu_count())
    result.update(batch_size=load.batch_size, seconds=args.seconds, targets=TARGETS)
    return result


def _cell(phase: dict[str, Any] | None) -> str:
    if phase is None:
        return "n/a"
    errors = f", {phase['errors']} errors" if phase["errors"] else ""
    return f"{phase['per_s']:>8,.0f}/s p99 {phase['p99_ms']:>6} ms{errors}"


def _cpu(phase: dict[str, Any] | None, cpus: int) -> str:
    """CPU time per record, node + load generator, and the rate the CPUs allow at that cost."""
    if phase is None or phase["server_cpu_us"] is None:
        return "n/a"
    node, clients = phase["server_cpu_us"], phase["client_cpu_us"]
    return f"{node:>5.0f}+{clients:.0f} us: <= {cpus * 1e6 / (node + clients):,.0f}/s"


def render(result: dict[str, Any]) -> str:
    scenarios = result["scenarios"]
    cpus = result["cpus"]
    heads = ["single record", "  CPU node+clients", "batch", "  CPU node+clients"]
    lines = [f"{'records/s':<26}" + "".join(f"{h:<30}" for h in heads)]
    for p in PLAN:
        measured = scenarios.get(p.name, {})
        single, batch = measured.get("single"), measured.get("batch")
        cells = [_cell(single), _cpu(single, cpus), _cell(batch), _cpu(batch, cpus)]
        lines.append(f"{p.heading:<26}" + "".join(f"{c:<30}" for c in cells))
    lines.append(f"{'hash + sign floor':<26}{result['floor_per_s']:>8,.0f}/s (one process)")
    names = [p.name for p in PLAN]
    if "postgres" in result:
        lines.append(f"PostgreSQL: {result['postgres']}")
    held = {n: scenarios[n]["connections"] for n in names if "connections" in scenarios.get(n, {})}
    if held:
        counts = ", ".join(f"{n}: {c['held']}" for n, c in held.items())
        limit = next(iter(held.values()))["max_connections"]
        lines.append(f"PostgreSQL connections held at the end: {counts} (max_connections {limit})")
    lines.append(
        f"{result['clients']} single-record clients, {result['batch_clients']} batch clients of"
        f" {result['batch_size']} records, {result['seconds']} s a phase, {result['cpus']} CPUs"
        " shared by clients and nodes: two processes (workers or replicas) split the same"
        " cores as the clients, so they cannot show scaling beyond two cores here. 'CPU"
        " node+clients' is the CPU time per record and the most records/s the CPUs allow at"
        " that cost."
    )
    t = result["targets"]
    lines.append(
        f"targets: SQLite single >= {t['sqlite_single_per_s']:,}/s with p99 <="
        f" {t['sqlite_single_p99_ms']} ms; batches >= {t['batch_per_s']:,} records/s;"
        f" PostgreSQL single node >= {t['postgres_single_per_s']:,}/s"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each phase")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--batch-clients", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=MAX_ATTEST_BATCH)
    parser.add_argument("--records", type=int, help="records prepared (default: from --seconds)")
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL server URL (a database)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    print(json.dumps(result) if args.json else render(result))
    phases = [s[p] for s in result["scenarios"].values() for p in ("single", "batch")]
    return 0 if all(p["errors"] == 0 for p in phases) else 1


if __name__ == "__main__":
    sys.exit(main())
