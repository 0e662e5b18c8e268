"""Opening SQLite store files: created private to their owner whatever the umask, and the
durable connections of the log and token tables.

A store holds whole records and the hashes of node tokens, so its file is created ``0600``
and the folders created for it ``0700`` (an existing folder, such as the working directory,
is left as it is). SQLite creates the ``-wal`` and ``-shm`` files with the permissions of
the database file (sqlite.org/tempfiles.html, "Write-Ahead Log (WAL) Files"; the unix VFS
copies the mode and re-applies it past the umask), so they are ``0600`` as well.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Final

from cerkit.errors import OperationalError, Reason
from cerkit.ledger._sql import Readers, store_errors

FILE_MODE: Final[int] = 0o600
FOLDER_MODE: Final[int] = 0o700


def create_private(path: Path) -> None:
    """Create ``path``'s missing folders (``0700``) and the empty file (``0600``) unless it
    exists; an empty file is an empty SQLite database.

    Raises:
        OSError: a folder or the file cannot be created.
    """
    missing = []
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    path.parent.mkdir(parents=True, exist_ok=True)
    for created in missing:
        os.chmod(created, FOLDER_MODE)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits away; set exactly 0600
    finally:
        os.close(fd)


def connect_durable(path: Path) -> sqlite3.Connection:
    """A connection to the log or token tables: autocommit, WAL, and ``synchronous=FULL``.

    FULL: the WAL is fsynced at every commit, so an acknowledged receipt (or a revocation)
    survives a crash or power loss, not only a killed process (SQLite docs, PRAGMA
    synchronous). The file must exist (:func:`create_private`).
    """
    conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def sqlite_errors(label: str, what: str) -> AbstractContextManager[None]:
    """Re-raise ``sqlite3.Error`` as ``STORE_ERROR``: ``"<label>: <what>: <reason>"``."""
    return store_errors(label, what, sqlite3.Error)


def open_tables(
    path: Path, schema: str, label: str
) -> tuple[sqlite3.Connection, Readers[sqlite3.Connection]]:
    """The writer connection (``schema`` created) and the per-thread readers of the log or
    token tables in the file at ``path``.

    Raises:
        OperationalError: the file cannot be created or opened (``STORE_ERROR``).
    """
    try:
        create_private(path)
        writer = connect_durable(path)
        writer.executescript(schema)
    except (sqlite3.Error, OSError) as exc:
        raise OperationalError(f"cannot open {label} {path}: {exc}", Reason.STORE_ERROR) from None
    return writer, Readers(lambda: connect_durable(path), lambda conn: True)
