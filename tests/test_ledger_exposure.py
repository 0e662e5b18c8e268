"""What a store must not expose: its files to other users, a PostgreSQL password in errors."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cerkit.errors import OperationalError, UsageError
from cerkit.ledger._sql import redact_url
from cerkit.ledger.base import LogEntry, Token
from cerkit.ledger.factory import open_log_store, open_record_store, open_token_store
from cerkit.seal import seal_args


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask: whatever ends up private was made private on purpose."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _fill_records(url: str) -> None:
    store = open_record_store(url)
    args = {
        "executionId": "exposure-1",
        "provider": "local",
        "model": "m",
        "prompt": "m:f",
        "input": "a",
        "output": "b",
        "parameters": {"temperature": 0, "maxTokens": 1},
    }
    store.put(seal_args(args, created_at="2026-01-01T00:00:00.000Z"))
    _check_wal(Path(url))
    store.close()


def _fill_log(url: str) -> None:
    store = open_log_store(url)
    store.append([("sha256:ab", b"{}")], lambda i, c: LogEntry(i, c, "t", "kid", "sig"))
    _check_wal(Path(url))
    store.close()


def _fill_tokens(url: str) -> None:
    store = open_token_store(url)
    store.add_token(Token("id1", "ci", "2026-01-01T00:00:00.000Z"), "hash1")
    _check_wal(Path(url))
    store.close()


def _check_wal(db: Path) -> None:
    """While the store is open (its -wal and -shm exist), every file is 0600."""
    for name in (db.name, f"{db.name}-wal", f"{db.name}-shm"):
        assert _mode(db.parent / name) == 0o600, name


@pytest.mark.parametrize("fill", [_fill_records, _fill_log, _fill_tokens])
@pytest.mark.usefixtures("open_umask")
def test_store_files_are_0600_in_0700_folders_whatever_the_umask(
    tmp_path: Path, fill: Callable[[str], None]
) -> None:
    before = _mode(tmp_path)
    fill(str(tmp_path / "outer" / "inner" / "ledger.db"))
    assert _mode(tmp_path / "outer") == 0o700
    assert _mode(tmp_path / "outer" / "inner") == 0o700
    assert _mode(tmp_path) == before  # a folder that existed is left as it was


@pytest.mark.usefixtures("open_umask")
def test_the_default_store_folder_is_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CERKIT_STORE", raising=False)
    open_record_store(None).close()
    assert _mode(tmp_path / ".cerkit") == 0o700
    assert _mode(tmp_path / ".cerkit" / "ledger.db") == 0o600


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:s3cret@h:5432/db", "postgresql://u:***@h:5432/db"),
        (
            "postgresql://u@h/db?password=s3cret&sslmode=off",
            "postgresql://u@h/db?password=***&sslmode=off",
        ),
        ("postgresql://u:p%40ss@h/db", "postgresql://u:***@h/db"),
        ("postgresql://h/db", "postgresql://h/db"),
    ],
)
def test_a_redacted_url_keeps_everything_but_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


_PASSWORD_URLS = [
    "postgresql://postgres@127.0.0.1:1/cerkit?password=hunter2-in-query",
    "postgresql://postgres:hunter2-in-userinfo@127.0.0.1:1/cerkit",
    "postgres://postgres@127.0.0.1:1/cerkit?sslmode=disable&PASSWORD=hunter2-in-query",
]


@pytest.mark.parametrize("url", _PASSWORD_URLS)
@pytest.mark.parametrize("opener", [open_record_store, open_log_store, open_token_store])
def test_a_postgres_password_never_appears_in_a_connection_error(
    url: str, opener: Callable[[str], Any]
) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(OperationalError) as caught:
        opener(url)  # port 1: nothing listens, the connection is refused
    assert "hunter2" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)  # the rest of the URL still says where


@pytest.mark.parametrize(
    "url",
    ["postgresq://postgres:hunter2-typo@127.0.0.1/db", "mysql://root@h/db?password=hunter2-typo"],
)
def test_an_unsupported_url_is_refused_without_its_password(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        open_record_store(url)
    assert "hunter2" not in str(caught.value)
    assert "unsupported store URL" in str(caught.value)
