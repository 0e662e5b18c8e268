"""Which loaded modules are cerkit's own machinery, and which the recorded program imported.

``sys.modules`` keeps modules in the order they started loading. cerkit marks that order
around its own work (docs/capture.md, "imported"):

* every cerkit module is loaded by a tracked loader (a path hook for cerkit's own folders),
  so whatever a cerkit module imports at load time is cerkit's;
* the recorder, the fingerprint and the command wrapper run inside :func:`machinery`, so
  what they import lazily (numpy and threadpoolctl for the numeric stack, the store...) is
  cerkit's too;
* modules loaded before ``site`` finished (interpreter start-up, ``.pth`` files,
  ``sitecustomize``) are the interpreter's.

Everything else in ``sys.modules`` was imported by the program. A module cerkit or the
start-up loaded that the program's own code also uses (``import numpy`` after cerkit loaded
it) is added back by :func:`used_modules`, which follows references from the program's
modules. The environment is snapshotted when cerkit starts loading, and variables a cerkit
phase sets (threadpoolctl sets ``KMP_DUPLICATE_LIB_OK``) are remembered as cerkit's.

Only ``sys``, ``os`` and ``threading`` are imported here: this module loads first.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any, Final

#: The environment as it was when cerkit started loading (before anything heavy).
ENV_AT_IMPORT: Final[dict[str, str]] = dict(os.environ)

_ROOT: Final[str] = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
_lock = threading.RLock()
_depth = 0
_mark: tuple[str | None, int] = (None, 0)
_env_copy: dict[Any, Any] = {}
#: Modules first loaded while cerkit's own code was running.
OURS: set[str] = set()
#: Environment variables a cerkit phase set or changed: name -> the value it left.
ENV_SET_BY_CERKIT: dict[str, str] = {}


def _environ_data() -> dict[Any, Any]:
    raw = getattr(os.environ, "_data", None)
    return raw if isinstance(raw, dict) else dict(os.environ)


def _last_key() -> str | None:
    try:
        return next(reversed(sys.modules))
    except (StopIteration, RuntimeError):
        return None


def begin() -> None:
    """Enter cerkit's machinery (nestable)."""
    global _depth, _mark, _env_copy
    with _lock:
        _depth += 1
        if _depth == 1:
            _mark = (_last_key(), len(sys.modules))
            data = _environ_data()
            if data != _env_copy:  # the program changed it: that change is the program's
                _env_copy = dict(data)


def settle() -> None:
    """Inside a phase: count what it loaded so far as cerkit's now, not at its end."""
    global _mark
    with _lock:
        if _depth and len(sys.modules) != _mark[1]:
            _collect()
            _mark = (_last_key(), len(sys.modules))


def _collect() -> None:
    for name in reversed(list(sys.modules)):
        if name == _mark[0]:
            break
        OURS.add(name)


def end() -> None:
    """Leave cerkit's machinery: what loaded meanwhile is cerkit's."""
    global _depth, _env_copy
    with _lock:
        _depth -= 1
        if _depth or len(sys.modules) == _mark[1]:
            return
        _collect()
        data = _environ_data()
        if data != _env_copy:
            for key, value in data.items():
                if _env_copy.get(key) != value:
                    ENV_SET_BY_CERKIT[_text(key)] = _text(value)
            _env_copy = dict(data)


def _text(value: Any) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else str(value)


def set_by_cerkit(name: str, value: str) -> bool:
    """Whether cerkit's own work gave the variable ``name`` its current ``value`` (and the
    program has not set it since)."""
    if ENV_SET_BY_CERKIT.get(name) == value:
        return ENV_AT_IMPORT.get(name) != value
    if _depth and _env_copy:  # inside a phase that has not ended yet
        key: Any = os.fsencode(name) if isinstance(next(iter(_env_copy)), bytes) else name
        before = _env_copy.get(key)
        return _text(before) != value if before is not None else ENV_AT_IMPORT.get(name) != value
    return False


class _Machinery:
    """``with machinery():`` around cerkit's own work (a class, not a generator: it runs
    three times per recorded call)."""

    __slots__ = ()

    def __enter__(self) -> None:
        begin()

    def __exit__(self, *exc: object) -> None:
        end()


_MACHINERY: Final = _Machinery()


def machinery() -> _Machinery:
    return _MACHINERY


def adopt_since(name: str) -> None:
    """Count every module loaded after ``name`` as cerkit's (``cerkit/__init__`` calls it
    with ``"cerkit"``: what loading this module needed is ours)."""
    with _lock:
        for key in reversed(list(sys.modules)):
            if key == name:
                break
            OURS.add(key)


def is_ours(name: str) -> bool:
    return name == "cerkit" or name.startswith("cerkit.") or name in OURS


def startup_modules() -> set[str]:
    """Modules loaded before ``site`` finished (``site`` is inserted last at start-up)."""
    names: set[str] = set()
    last = "site" if "site" in sys.modules else "__main__"
    for name in list(sys.modules):
        names.add(name)
        if name == last:
            break
    names.discard("__main__")
    return names


def _install_tracked_loader() -> None:
    """Load cerkit's own modules through a loader that runs them inside :func:`machinery`."""
    from importlib.machinery import (
        BYTECODE_SUFFIXES,
        SOURCE_SUFFIXES,
        FileFinder,
        SourceFileLoader,
        SourcelessFileLoader,
    )

    class TrackedSource(SourceFileLoader):
        def exec_module(self, module: Any) -> None:
            with machinery():
                super().exec_module(module)

    class TrackedSourceless(SourcelessFileLoader):
        def exec_module(self, module: Any) -> None:
            with machinery():
                super().exec_module(module)

    def hook(path: str) -> FileFinder:
        if not _within_root(path):
            raise ImportError("not a cerkit folder")
        return FileFinder(
            path, (TrackedSource, SOURCE_SUFFIXES), (TrackedSourceless, BYTECODE_SUFFIXES)
        )

    sys.path_hooks.insert(0, hook)
    for path in [p for p in sys.path_importer_cache if _within_root(p)]:
        del sys.path_importer_cache[path]


def _within_root(path: str) -> bool:
    try:
        real = os.path.realpath(path)
    except (TypeError, ValueError):
        return False
    return real == _ROOT or real.startswith(_ROOT + os.sep)


_install_tracked_loader()

__all__ = [
    "ENV_AT_IMPORT",
    "ENV_SET_BY_CERKIT",
    "OURS",
    "adopt_since",
    "begin",
    "end",
    "is_ours",
    "machinery",
    "set_by_cerkit",
    "settle",
    "startup_modules",
]
