"""Replacing a file atomically: readers see the old content or the new, never half of it.

Records rewritten by ``cerkit sign`` and ``cerkit attest``, the key directory's document, the
node's saved checkpoint and its port file all go through :func:`write_atomic`: the bytes are
written to a fresh temporary file in the same directory (so the final rename stays on one
file system), synced (unless the caller syncs on its own schedule), and renamed over the
target (POSIX ``rename(2)`` is atomic).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from cerkit.errors import OperationalError


def write_atomic(
    path: str | os.PathLike[str], data: str | bytes, *, mode: int = 0o666, sync: bool = True
) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8) in one step.

    Args:
        path: the file to create or replace.
        data: its new content.
        mode: permission bits of a new file, before the umask (``0o600`` for secrets).
        sync: fsync the data before the rename, so a power loss cannot leave the new name
            pointing at unwritten bytes; ``False`` for a caller that syncs on its own schedule
            (a crash of the process still leaves the old content or the new).

    Raises:
        OperationalError: the file cannot be written (the target is left as it was).

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "note.txt"
    >>> write_atomic(target, "first")
    >>> write_atomic(target, "second")
    >>> target.read_text()
    'second'
    """
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    # A unique name: two writers of the same target never share a temporary file.
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                if sync:
                    os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
    except OSError as exc:
        raise OperationalError(f"cannot write {target}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A text file to write ``path`` through, for output written as it is produced: the
    lines go to a temporary file beside it, renamed over ``path`` (synced first) when the
    block ends normally and removed when it raises, so ``path`` is never half written.

    Raises:
        OperationalError: the file cannot be written (the target is left as it was).
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        handle = open(tmp, "x", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise _cannot_write(target, exc) from None
    try:
        with handle:
            yield handle
            try:
                handle.flush()
                os.fsync(handle.fileno())
            except OSError as exc:
                raise _cannot_write(target, exc) from None
        try:
            os.replace(tmp, target)
        except OSError as exc:
            raise _cannot_write(target, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _cannot_write(target: Path, exc: OSError) -> OperationalError:
    return OperationalError(f"cannot write {target}: {exc.strerror or exc}")


__all__ = ["replacing", "write_atomic"]
