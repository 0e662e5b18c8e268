"""``cerkit node serve --workers N``: several processes on one port and one store, one log."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from node_checks import (
    CLI,
    assert_consistent_chain,
    assert_logged,
    attest_concurrently,
    attested,
    checkpoints_of,
    cli,
    log_size,
    sealed,
)

from cerkit.keys import KeyDocument


def _workers(node: Any) -> list[int]:
    """The worker processes of a running ``--workers`` node."""
    pid = node.proc.pid
    tasks = Path(f"/proc/{pid}/task").iterdir()
    return [int(c) for task in tasks for c in (task / "children").read_text().split()]


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _one_log_from_two_workers(make_node: Any, store: str | None) -> None:
    node = make_node(store, workers=2)
    workers = _workers(node)
    assert len(workers) == 2
    token = node.token()
    document = KeyDocument.from_json(httpx.get(node.url + "/.well-known/cerkit-node.json").json())
    before = [_cpu_ticks(pid) for pid in workers]
    bundles = sealed(600, "workers")
    answers = attest_concurrently(node.url, token, bundles, 16)
    # Both processes did work (the kernel spread the 16 connections over them)...
    spent = [_cpu_ticks(pid) - ticks for pid, ticks in zip(workers, before, strict=True)]
    assert min(spent) > 0, spent
    # ...and the result is one log: every index once, one chain of checkpoints.
    assert sorted(a["logIndex"] for a in answers) == list(range(600))
    by_hash = {a["certificateHash"]: a for a in answers}
    for bundle in bundles:
        assert_logged(attested(bundle, by_hash[bundle["certificateHash"]]), document)
    checkpoints = checkpoints_of(answers, document)
    assert checkpoints[-1].size == 600
    assert_consistent_chain(node.url, checkpoints)
    # Whichever worker answers, a record is known once (idempotent across processes).
    again = attest_concurrently(node.url, token, bundles[:40], 8)
    assert all(a["created"] is False for a in again)
    for answer in again:
        assert answer["logIndex"] == by_hash[answer["certificateHash"]]["logIndex"]
    assert log_size(node.url) == 600
    audit = cli("log", "audit", "--node", node.url, "--json", check=False)
    assert audit.returncode == 0, audit.stdout + audit.stderr


@pytest.mark.slow
def test_two_workers_on_sqlite_keep_one_log(make_node: Any) -> None:
    _one_log_from_two_workers(make_node, None)


@pytest.mark.slow
@pytest.mark.postgres
def test_two_workers_on_postgres_keep_one_log(make_node: Any, pg_url: str) -> None:
    _one_log_from_two_workers(make_node, pg_url)


def test_sigterm_stops_every_worker_and_exits_zero(make_node: Any) -> None:
    node = make_node(workers=2)
    workers = _workers(node)
    node.proc.send_signal(signal.SIGTERM)
    assert node.proc.wait(20) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


def test_a_worker_dying_stops_the_node_with_an_error(make_node: Any) -> None:
    node = make_node(workers=2)
    first, second = _workers(node)
    os.kill(first, signal.SIGKILL)
    assert node.proc.wait(20) == 70  # EX_SOFTWARE: a service manager restarts it
    assert f"worker {first} stopped (killed by signal 9); stopping the others" in node.output()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{second}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{second}").exists()


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_worker_count_below_one_is_a_usage_error(tmp_path: Path, value: str) -> None:
    done = subprocess.run(
        [*CLI, "node", "serve", "--store", str(tmp_path / "n.db"), "--workers", value],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert f"USAGE_ERROR: --workers must be at least 1, not {value}" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_worker_that_cannot_open_the_store_fails_the_start(
    tmp_path: Path, node_key: Path
) -> None:
    store = tmp_path / "missing-dir" / "sub" / "node.db"
    serve = ["node", "serve", "--store", str(store), "--key", str(node_key), "--port", "0"]
    (tmp_path / "missing-dir").write_text("a file where a directory should be")
    done = subprocess.run(
        [*CLI, *serve, "--workers", "2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode != 0
    assert "node worker 0" in done.stderr
    assert "stopped before it listened" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_a_clear_error(tmp_path: Path, node_key: Path, workers: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        serve = ["node", "serve", "--store", str(tmp_path / "n.db"), "--key", str(node_key)]
        done = subprocess.run(
            [*CLI, *serve, "--port", port, "--workers", workers],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
    assert done.returncode == 3, done.stderr  # could not run (an operational error)
    assert f"IO_ERROR: cannot bind 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
