"""Per-file digests of the user's own code: the ``execution.userCode`` field.

Every module the execution used from outside the standard library and site-packages that no
distribution installed in place (:mod:`cerkit.capture._usage`) is the user's own code. Each
file is named by its path relative to the project (the git repository's top folder when the
working directory is in one, else the working directory), ``/``-separated; a file outside
the project keeps its absolute path. A file is digested the first time cerkit sees it in a
process: that is the code the process loaded (an edit made later while the process runs
is not what ran, unless the module is reloaded).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Mapping
from typing import Any, Final

from cerkit.digest import PREFIX

SOURCE: Final[str] = "sys.modules files outside the standard library and site-packages"
_lock = threading.Lock()
_root: str | None = None
_digests: dict[str, str | dict[str, str]] = {}


def project_root() -> str:
    """The folder user files are named relative to (fixed at first use in a process)."""
    global _root
    if _root is None:
        from cerkit.capture._probes import git_toplevel

        cwd = os.getcwd()
        _root = os.path.realpath(git_toplevel(cwd) or cwd)
    return _root


def reset() -> None:
    global _root
    with _lock:
        _root = None
        _digests.clear()


def file_digest(path: str) -> str | dict[str, str]:
    """``sha256:<hex>`` of a file's bytes, cached per process; unreadable: unknown."""
    cached = _digests.get(path)
    if cached is None:
        try:
            with open(path, "rb") as handle:
                cached = PREFIX + hashlib.file_digest(handle, "sha256").hexdigest()
        except OSError as exc:
            cached = {"unknown": f"{type(exc).__name__}: {exc}"[:200]}
        with _lock:
            _digests[path] = cached
    return cached


def relative_name(path: str, root: str) -> str:
    if path.startswith(root + os.sep):
        return os.path.relpath(path, root).replace(os.sep, "/")
    return path


def module_name(namespace: Mapping[str, Any]) -> str:
    """The module part of an entry point defined in ``namespace`` (a module's globals).

    A module imported by name is that name. A script run as ``__main__`` is named by its file,
    relative to :func:`project_root` (``path/to/app.py``), so two scripts defining the same
    function do not collide and replay can load it again by path; ``python -m pkg.mod`` is
    ``pkg.mod``. Code with no file (``python -c``, a notebook cell, stdin) stays ``__main__``.
    """
    name = namespace.get("__name__") or "__main__"
    if name != "__main__":
        return str(name)
    spec = namespace.get("__spec__")
    if spec is not None and getattr(spec, "name", None):
        return str(spec.name)
    file = namespace.get("__file__")
    if not isinstance(file, str) or not file.endswith(".py"):
        return "__main__"
    return relative_name(os.path.realpath(file), project_root())


def user_code(files: Iterable[str]) -> dict[str, Any]:
    """The ``userCode`` part for the user's module files ``files`` (absolute paths)."""
    root = project_root()
    named = {relative_name(path, root): file_digest(path) for path in files}
    return {"source": f"{SOURCE}, relative to {root}", "files": dict(sorted(named.items()))}


__all__ = ["file_digest", "module_name", "project_root", "relative_name", "reset", "user_code"]
