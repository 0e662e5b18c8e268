"""The node's own memory of what it signed: its last signed checkpoint, in a file of its own.

The file lives beside the node's key (``<key dir>/checkpoint.note``, or ``<key file>.checkpoint``),
outside the log tables it vouches for, so deleting or rewriting rows of the store cannot
also lower it. It holds one signed note (c2sp.org/tlog-checkpoint), mode 0600, replaced
atomically (write a temporary file, rename it over the old one) and only by a larger tree:
replicas that share a key directory on one machine take turns under an exclusive lock, and an
older checkpoint never overwrites a newer one. A killed process leaves the old file or the
new one, never a mix; the data is fsynced before the rename at most every
:data:`FSYNC_SECONDS`, so a power loss costs at most that much of the newest checkpoints
(the older one left is a prefix of the log, still consistent with it).
:mod:`cerkit.node.selfcheck` proves the stored log consistent with it.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from cerkit.atomic import write_atomic
from cerkit.checkpoint import MAX_NOTE_BYTES, peek_checkpoint
from cerkit.errors import CerkitError, OperationalError, Reason

#: File name of the saved checkpoint inside a key directory.
KEY_DIR_NAME: Final[str] = "checkpoint.note"
#: Suffix added to a single key file's name for its saved checkpoint.
KEY_FILE_SUFFIX: Final[str] = ".checkpoint"
#: Longest time between two fsyncs of the saved checkpoint, in seconds. An fsync costs about
#: as much as the log commit itself (10+ ms on a busy disk); doing one per commit halved the
#: node's throughput (bench/node.py), one a second costs ~1 %.
FSYNC_SECONDS: Final[float] = 1.0


def checkpoint_path(key_dir: str | None, key_file: str | Path) -> Path:
    """Where the node keeps its last checkpoint: in its key directory, else beside its key."""
    if key_dir is not None:
        return Path(key_dir) / KEY_DIR_NAME
    key = Path(key_file)
    return key.with_name(key.name + KEY_FILE_SUFFIX)


class CheckpointFile:
    """One saved signed checkpoint; :meth:`save` never lowers it."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._clock = clock
        self._synced = -FSYNC_SECONDS  # the first save is fsynced

    def load(self) -> str | None:
        """The saved note, or None when the node never saved one here.

        Raises:
            OperationalError: ``LOG_INCONSISTENT`` when the file exists but cannot be read
                as a checkpoint (the node must not guess what it signed).
        """
        try:
            with open(self.path, "rb") as handle:
                data = handle.read(MAX_NOTE_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._unreadable(exc.strerror or str(exc)) from None
        try:
            note = data.decode("utf-8")
            peek_checkpoint(note)
        except (UnicodeDecodeError, CerkitError) as exc:
            raise self._unreadable(str(exc)) from None
        return note

    def _unreadable(self, why: str) -> OperationalError:
        return OperationalError(
            f"the node's saved checkpoint {self.path} is unreadable ({why})",
            Reason.LOG_INCONSISTENT,
        )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def save(self, note: str) -> bool:
        """Replace the saved note by ``note`` when its tree is larger; return whether it did.

        Raises:
            OperationalError: ``IO_ERROR`` when the file cannot be written.
        """
        size = peek_checkpoint(note).size
        try:
            with self._locked():
                current = self._current_size()
                if current is not None and current >= size:
                    return False
                self._write(note)
                return True
        except OSError as exc:
            raise OperationalError(
                f"cannot save the node's checkpoint to {self.path}: {exc.strerror or exc}"
            ) from None

    def _current_size(self) -> int | None:
        try:
            note = self.load()
        except OperationalError:
            return None  # unreadable: the start check refused it already; replace it
        return None if note is None else peek_checkpoint(note).size

    def _write(self, note: str) -> None:
        sync = self._clock() - self._synced >= FSYNC_SECONDS
        write_atomic(self.path, note, mode=0o600, sync=sync)  # synced: on disk before renamed
        if sync:
            self._synced = self._clock()
