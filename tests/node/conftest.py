"""Fixtures for the attestation node tests: real servers in subprocesses, real databases."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from node_checks import CLI, cli

from cerkit.keys import generate_private_key, save_private_key

PG_ADMIN = os.environ.get("CERKIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


class Node:
    """One ``cerkit node serve`` subprocess on a random loopback port."""

    def __init__(self, tmp: Path, store: str, key: Path, name: str = "node") -> None:
        self.tmp, self.store, self.key, self.name = tmp, store, key, name
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Node:
        port_file = self.tmp / f"{self.name}.port"
        port_file.unlink(missing_ok=True)
        log = open(self.tmp / f"{self.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                *CLI,
                "node",
                "serve",
                "--store",
                self.store,
                "--key",
                str(self.key),
                "--port",
                "0",
                "--port-file",
                str(port_file),
            ],
            cwd=self.tmp,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError((self.tmp / f"{self.name}.log").read_text())
            if port_file.exists():
                self.port = int(port_file.read_text())
                try:
                    if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("node did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def token(self) -> str:
        return cli("node", "token", "create", "--store", self.store, cwd=self.tmp).stdout.strip()


@pytest.fixture
def node_key(tmp_path: Path) -> Path:
    path = tmp_path / "node.key"
    save_private_key(generate_private_key(), path)
    return path


@pytest.fixture
def make_node(tmp_path: Path, node_key: Path) -> Iterator[Any]:
    """Factory: ``make_node(store_url=None, name="node")`` starts a node; all stop at the end."""
    nodes: list[Node] = []

    def make(store: str | None = None, name: str = "node") -> Node:
        node = Node(tmp_path, store or str(tmp_path / "node.db"), node_key, name)
        nodes.append(node.start())
        return node

    yield make
    for node in nodes:
        node.stop()


def _pg_available() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
        return True
    except Exception:
        return False


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not _pg_available():
        pytest.skip(f"no PostgreSQL at {PG_ADMIN} (run scripts/ensure-postgres.sh)")
    import psycopg

    name = f"cerkit_node_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
