"""What a recorded Python child imported: ``cerkit record -- python prog.py`` (docs/capture.md).

The wrapper writes a ``sitecustomize.py`` into a private temporary folder and puts that
folder first on the child's ``PYTHONPATH``. Python's ``site`` imports it at start-up; it
takes its folder back off ``sys.path`` and ``PYTHONPATH`` (grandchildren never see it),
runs the ``sitecustomize`` it shadowed if there is one, notes the modules loaded so far
(interpreter start-up), and registers an exit handler that writes every module loaded
after that, with its file, to a JSON report. Only the standard library is used: the child
need not have cerkit installed. No ``-X importtime`` and no tracing: the program runs at
full speed and its stderr is untouched.

The report is missing when the child never ran ``site`` or ignored ``PYTHONPATH`` (``-S``,
``-E``, ``-I``), left through ``os._exit`` or was killed; ``imported`` is then unknown
with that reason. Forked children do not write (the report is written by the process
that started).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from typing import Any, Final

REPORT_VARIABLE: Final[str] = "CERKIT_CHILD_IMPORTS"
PATH_VARIABLE: Final[str] = "CERKIT_CHILD_PYTHONPATH"
#: Largest report read back (a program with every module of a large stack stays far below).
_MAX_REPORT_BYTES: Final[int] = 64 * 1024 * 1024

HOOK: Final[str] = '''\
"""Written by `cerkit record` for one run: reports the modules this program imported."""
import os as _os
import sys as _sys


def _cerkit_child_report():
    here = _os.path.dirname(_os.path.abspath(__file__))
    out = _os.environ.pop("CERKIT_CHILD_IMPORTS", None)
    original = _os.environ.pop("CERKIT_CHILD_PYTHONPATH", None)
    if original is None:
        _os.environ.pop("PYTHONPATH", None)
    else:
        _os.environ["PYTHONPATH"] = original
    _sys.path[:] = [p for p in _sys.path if _os.path.abspath(p or ".") != here]
    try:  # the sitecustomize this one shadows, if any, becomes the module site imported
        import importlib.machinery
        import importlib.util

        spec = importlib.machinery.PathFinder.find_spec("sitecustomize", _sys.path)
        if spec is not None and spec.loader is not None:
            module = importlib.util.module_from_spec(spec)
            _sys.modules["sitecustomize"] = module
            spec.loader.exec_module(module)
    except Exception as exc:  # as site does: report and go on
        print(f"Error in sitecustomize; set PYTHONVERBOSE for traceback: {exc!r}",
              file=_sys.stderr)
    if not out:
        return
    start = set(_sys.modules)
    pid = _os.getpid()
    cwd = _os.getcwd()

    def write():
        if _os.getpid() != pid:
            return
        modules = {}
        for name, module in list(_sys.modules.items()):
            if name in start and name != "__main__":
                continue
            spec = getattr(module, "__spec__", None)
            origin = getattr(spec, "origin", None) if getattr(spec, "has_location", False) else None
            origin = origin or getattr(module, "__file__", None)
            modules[name] = origin if isinstance(origin, str) else None
        script = _os.path.join(cwd, _sys.argv[0]) if _sys.argv and _sys.argv[0] else ""
        if modules.get("__main__") is None and _os.path.isfile(script):
            modules["__main__"] = script  # running a file removes __main__.__file__ after
        import json

        report = {"modules": modules, "path": list(_sys.path), "prefix": _sys.prefix,
                  "executable": _sys.executable}
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(report, handle)

    import atexit

    atexit.register(write)


_cerkit_child_report()
del _cerkit_child_report
'''


def is_python(argv: Sequence[str]) -> bool:
    """Whether ``argv`` starts a Python interpreter (by name, or a script whose ``#!`` line
    names one)."""
    program = os.path.basename(argv[0])
    if program.startswith("python"):
        return True
    found = shutil.which(argv[0])
    if not found:
        return False
    try:
        with open(found, "rb") as handle:
            first = handle.readline(256)
    except OSError:
        return False
    return first.startswith(b"#!") and b"python" in first


class ChildImports:
    """A temporary hook folder for one child; ``env()`` for the child, ``read()`` after."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="cerkit-child-")
        self.report = os.path.join(self.folder, "imports.json")
        with open(os.path.join(self.folder, "sitecustomize.py"), "w", encoding="utf-8") as f:
            f.write(HOOK)

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        original = env.get("PYTHONPATH")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (self.folder, original) if p)
        env[REPORT_VARIABLE] = self.report
        if original is not None:
            env[PATH_VARIABLE] = original
        return env

    def read(self) -> dict[str, Any] | None:
        """The child's report, or ``None`` when it wrote none (or an unreadable one)."""
        try:
            if os.path.getsize(self.report) > _MAX_REPORT_BYTES:
                return None
            with open(self.report, encoding="utf-8") as handle:
                report = json.load(handle)
        except (OSError, ValueError):
            return None
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
        modules = report.get("modules") if isinstance(report, dict) else None
        return report if isinstance(modules, dict) else None


def usage(report: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``(distribution -> version, the user's own files)`` from a child's report; its
    distributions are read from the child's own ``sys.path``."""
    from cerkit.capture import _usage
    from cerkit.capture._distributions import Index

    path = [p for p in report.get("path", []) if isinstance(p, str)]
    where = Index(path=path)  # the child's own sys.path: its distributions, not ours
    used = []
    for name, file in report["modules"].items():
        if not isinstance(name, str) or name == "cerkit" or name.startswith("cerkit."):
            continue
        real = os.path.realpath(file) if isinstance(file, str) and os.path.isabs(file) else None
        used.append(_usage.classify_file(name, real, where))
    return _usage.summarize(used)


__all__ = ["HOOK", "ChildImports", "is_python", "usage"]
