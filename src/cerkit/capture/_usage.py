"""What the recorded execution used: its modules, their distributions, the user's own files.

:func:`used_modules` starts from every module the program imported (``sys.modules`` minus
cerkit's own and the interpreter's start-up, :mod:`cerkit.capture._imports`) plus the entry
point's module, and adds back any module cerkit or the start-up loaded that one of them
references: a module object or an object defined there in its globals, or, for the user's
own modules, an ``import`` statement anywhere in the source (a function-local
``import numpy`` that found numpy already loaded). Each module is classified once: the
user's own code (outside the standard library and site-packages, not installed by a
distribution), a distribution's, or the standard library's.
"""

from __future__ import annotations

import ast
import os
import sys
import threading
from collections.abc import Iterable
from importlib.util import resolve_name
from types import BuiltinFunctionType, FunctionType, ModuleType
from typing import Any, Final

from cerkit.capture import _imports
from cerkit.capture._distributions import Dist, Index, site_folders, stdlib_folders

USER: Final[str] = "user"
DIST: Final[str] = "dist"
OTHER: Final[str] = "other"  # standard library, built-in, frozen, or without a file

_lock = threading.Lock()
_index: Index | None = None
_kinds: dict[str, tuple[str, Dist | None, str | None]] = {}
_refs: dict[str, tuple[int, frozenset[str]]] = {}
_startup: set[str] | None = None
_folders: tuple[tuple[str, ...], tuple[str, ...]] | None = None
#: The latest :func:`usage` answer: ``(key, (packages, user files))``.
_usage: tuple[Any, tuple[dict[str, Any], tuple[str, ...]]] | None = None


def index() -> Index:
    """The distribution index of this interpreter (built once per process)."""
    global _index
    if _index is None:
        _index = Index()
    return _index


def reset() -> None:
    global _index, _startup, _folders, _usage
    with _lock:
        _index = _startup = _folders = _usage = None
        _kinds.clear()
        _refs.clear()


def module_file(module: Any) -> str | None:
    spec = getattr(module, "__spec__", None)
    origin = getattr(spec, "origin", None) if spec is not None else None
    if not isinstance(origin, str) or not getattr(spec, "has_location", False):
        origin = getattr(module, "__file__", None)
    if not isinstance(origin, str) or not os.path.isabs(origin):
        return None
    return os.path.realpath(origin)


def _under(path: str, folders: tuple[str, ...]) -> bool:
    return any(path.startswith(folder + os.sep) for folder in folders)


def classify(name: str, module: Any) -> tuple[str, Dist | None, str | None]:
    """``(kind, distribution, file)`` of a loaded module (cached by name)."""
    cached = _kinds.get(name)
    if cached is None:
        cached = classify_file(name, module_file(module))
        _kinds[name] = cached
    return cached


def classify_file(
    name: str, file: str | None, where: Index | None = None
) -> tuple[str, Dist | None, str | None]:
    """``(kind, distribution, file)`` of module ``name`` loaded from ``file``, looked up in
    ``where`` (default: this interpreter's index)."""
    global _folders
    if _folders is None:
        _folders = (site_folders(), stdlib_folders())
    owner = (where or index()).owner(name, file)
    if name == "__main__" and file is None:  # python -c, an interactive session
        kind = USER
    elif owner is not None:
        kind = DIST
    elif file is None or _under(file, _folders[0]) or _under(file, _folders[1]):
        kind = OTHER
    else:
        kind = USER
    return (kind, owner, file)


def _global_refs(module: ModuleType) -> set[str]:
    names: set[str] = set()
    try:
        values = list(vars(module).values())
    except TypeError:
        return names
    for value in values:
        kind = type(value)
        if issubclass(kind, ModuleType):
            name = getattr(value, "__name__", None)
        elif kind is FunctionType or kind is BuiltinFunctionType or issubclass(kind, type):
            try:
                name = value.__module__
            except Exception:  # a class whose metaclass hides __module__
                continue
        else:
            name = kind.__module__  # never an attribute of the value itself (proxies)
        if isinstance(name, str):
            names.add(name)
    return names


def _source_refs(module: ModuleType, file: str) -> set[str]:
    try:
        with open(file, "rb") as handle:
            tree = ast.parse(handle.read())
    except (OSError, SyntaxError, ValueError):
        return set()
    package = getattr(module, "__package__", None) or ""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            try:
                base = resolve_name("." * node.level + (node.module or ""), package)
            except (ImportError, ValueError):
                continue
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def namespace_size(module: Any) -> int:
    """How many globals a module has: a cheap sign that it imported something since."""
    try:
        return len(vars(module))
    except TypeError:
        return 0


def references(name: str, module: ModuleType, kind: str, file: str | None) -> frozenset[str]:
    """Modules ``module`` refers to (cached while its number of globals is unchanged)."""
    size = namespace_size(module)
    cached = _refs.get(name)
    if cached is None or cached[0] != size:
        found = _global_refs(module)
        if kind == USER and file is not None and file.endswith(".py"):
            found |= _source_refs(module, file)
        cached = (size, frozenset(found))
        _refs[name] = cached
    return cached[1]


def _loaded_ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [n for n in (".".join(parts[:i]) for i in range(len(parts), 0, -1)) if n in sys.modules]


def used_modules(entry: str | None) -> dict[str, tuple[str, Dist | None, str | None]]:
    """Every module the execution used, classified: ``name -> (kind, distribution, file)``."""
    global _startup
    _imports.settle()
    with _lock:
        if _startup is None:
            _startup = _imports.startup_modules()
        modules = dict(sys.modules)
        used: dict[str, tuple[str, Dist | None, str | None]] = {}
        queue: list[str] = []
        for name, module in modules.items():
            if name in _startup or _imports.is_ours(name):
                continue
            used[name] = classify(name, module)
            queue.append(name)
        if entry and entry in modules and not entry.startswith("cerkit."):
            used.setdefault(entry, classify(entry, modules[entry]))
            queue.append(entry)
        held_back = [n for n in modules if n not in used and not n.startswith("cerkit")]
        if any(classify(n, modules[n])[0] != OTHER for n in held_back):
            _add_referenced(modules, used, queue)
        return used


def usage(entry: str | None) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``(distribution -> version, user files)`` of the execution of ``entry``'s code.

    Recomputed only when modules were loaded (modules are rarely unloaded, so the count is
    a cheap and sound change detector), the entry module gained globals, or for another
    entry; the same objects are returned otherwise (the record caches rely on identity).
    """
    global _usage
    module = sys.modules.get(entry) if entry else None
    key = (len(sys.modules), len(_imports.OURS), entry, namespace_size(module))
    cached = _usage
    if cached is not None and cached[0] == key:
        return cached[1]
    with _imports.machinery():
        used = used_modules(entry)
    answer = summarize(used.values())
    if cached is not None and cached[1] == answer:
        answer = cached[1]
    _usage = (key, answer)
    return answer


def summarize(
    used: Iterable[tuple[str, Dist | None, str | None]],
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """``(distribution -> version, the user's own files)`` of classified modules."""
    packages: dict[str, Any] = {}
    files: set[str] = set()
    for kind, dist, file in used:
        if dist is not None and dist.name != "cerkit":
            packages[dist.name] = dist.version
        if file and _is_own_code(kind, dist, file):
            files.add(file)
    return dict(sorted(packages.items())), tuple(sorted(files))


def _is_own_code(kind: str, dist: Dist | None, file: str) -> bool:
    """The user's code, or an editable install's (its files are outside the distribution's
    folder: an edit there changes what runs without changing the version)."""
    if kind == USER:
        return True
    return dist is not None and not file.startswith(dist.location.rstrip(os.sep) + os.sep)


def _add_referenced(
    modules: dict[str, Any],
    used: dict[str, tuple[str, Dist | None, str | None]],
    queue: list[str],
) -> None:
    while queue:
        name = queue.pop()
        kind, _, file = used[name]
        if kind == OTHER:
            continue
        for ref in references(name, modules[name], kind, file):
            for loaded in _loaded_ancestors(ref):
                if loaded in used or loaded == "cerkit" or loaded.startswith("cerkit."):
                    continue
                used[loaded] = classify(loaded, modules[loaded])
                queue.append(loaded)


__all__ = [
    "DIST",
    "OTHER",
    "USER",
    "classify",
    "classify_file",
    "index",
    "namespace_size",
    "reset",
    "summarize",
    "usage",
    "used_modules",
]
