"""Fixtures for the attestation node tests: real servers in subprocesses, real databases."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from node_checks import Node

from cerkit.keys import generate_private_key, save_private_key

PG_ADMIN = os.environ.get("CERKIT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def node_key(tmp_path: Path) -> Path:
    path = tmp_path / "node.key"
    save_private_key(generate_private_key(), path)
    return path


@pytest.fixture
def make_node(tmp_path: Path, node_key: Path) -> Iterator[Any]:
    """Factory: ``make_node(store_url=None, name="node", workers=1)`` starts a node; all stop
    at the end."""
    nodes: list[Node] = []

    def make(store: str | None = None, name: str = "node", workers: int = 1) -> Node:
        node = Node(tmp_path, store or str(tmp_path / "node.db"), node_key, name, workers)
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
