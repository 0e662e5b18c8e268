"""Which seeds the recorded code actually set: ``execution.seeds``.

The seeding functions of ``random``, numpy (the legacy ``numpy.random.seed`` and the
Generator API's ``numpy.random.default_rng``) and torch (``torch.manual_seed``) are wrapped
when the first recording starts if their module is loaded, and otherwise the moment it is
loaded: a finder on ``sys.meta_path`` watches for those modules (numpy 2 imports
``numpy.random`` lazily, on first attribute access, often inside the recorded call). A
wrapper notes ``(sequence, family, seed)`` and calls the original; a recording reports, per
family, the last seed set between its start and its end.

Limits (docs/capture.md): code that bound a seeding function before the wrapper was
installed (``from random import seed`` before the first recording), and seeds passed to
constructors (``RandomState(3)``, ``PCG64(3)``) are not seen; seeds set by other threads
during a recording are attributed to it.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import sys
import threading
from collections import deque
from collections.abc import Callable
from importlib.abc import Loader
from typing import Any, Final

FAMILIES: Final[tuple[str, ...]] = ("random", "numpy", "torch")
_MAX_EVENTS: Final[int] = 256
_events: deque[tuple[int, str, Any]] = deque(maxlen=_MAX_EVENTS)
_sequence = itertools.count(1)
_last = 0
_lock = threading.Lock()
_installed: set[str] = set()


def _note(family: str, seed: Any) -> None:
    global _last
    with _lock:
        _last = next(_sequence)
        _events.append((_last, family, seed))


def _seed_value(seed: Any) -> Any:
    if seed is None:
        return "entropy"  # seeded from the operating system: not reproducible
    if isinstance(seed, bool | int | float | str):
        return seed if not isinstance(seed, int) or abs(seed) <= 2**53 else str(seed)
    return f"<{type(seed).__name__}>"


def _wrap(family: str, original: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(original, "__cerkit_seed__", False):
        return original

    @functools.wraps(original)
    def seeding(*args: Any, **kwargs: Any) -> Any:
        seed = args[0] if args else next(iter(kwargs.values()), None)
        _note(family, _seed_value(seed))
        return original(*args, **kwargs)

    seeding.__cerkit_seed__ = True  # type: ignore[attr-defined]
    return seeding


_WATCHED: Final[frozenset[str]] = frozenset(("random", "numpy.random", "torch"))


class _AfterLoad(Loader):
    """A loader proxy that installs the seed wrappers right after the module ran, then
    puts the real loader back on the module (nothing of it stays visible)."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: Any) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        try:
            self._loader.exec_module(module)
        finally:
            module.__loader__ = self._loader
            if getattr(module, "__spec__", None) is not None:
                module.__spec__.loader = self._loader
        with contextlib.suppress(Exception):  # never break an import over seed tracking
            _install()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)


class _Watcher:
    """``sys.meta_path`` entry: finds nothing itself, wraps the loader of watched modules."""

    busy = threading.local()

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in _WATCHED or getattr(self.busy, "on", False):
            return None
        from importlib.util import find_spec

        self.busy.on = True
        try:
            spec = find_spec(name)
        finally:
            self.busy.on = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        spec.loader = _AfterLoad(spec.loader)
        return spec

    def find_module(self, name: str, path: Any = None) -> None:  # very old callers
        return None


_watcher: _Watcher | None = None
_modules_seen = -1


def _watch() -> None:
    global _watcher
    if _watcher is None:
        _watcher = _Watcher()
        sys.meta_path.insert(0, _watcher)


#: family -> (module holding the seeding functions, their names, other modules to patch too)
_TARGETS: Final[dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]] = {
    "random": ("random", ("seed",), ()),
    "numpy": ("numpy.random", ("seed", "default_rng"), ()),
    "torch": ("torch", ("manual_seed",), ("torch.random",)),
}


def _install() -> None:
    """Wrap the seeding functions of every loaded, fully initialized family."""
    for family, (name, functions, also) in _TARGETS.items():
        module = sys.modules.get(name)
        if family in _installed or module is None:
            continue
        originals = [getattr(module, function, None) for function in functions]
        if any(original is None for original in originals):
            continue  # still initializing (a circular import): wrapped when it is done
        for function, original in zip(functions, originals, strict=True):
            assert original is not None
            wrapped = _wrap(family, original)
            setattr(module, function, wrapped)
            for other in also:
                if other in sys.modules and getattr(sys.modules[other], function, None):
                    setattr(sys.modules[other], function, wrapped)
        _installed.add(family)


def mark() -> int:
    """Start watching: returns the sequence number to pass to :func:`seeds_since`."""
    global _modules_seen
    if len(_installed) < len(FAMILIES) and len(sys.modules) != _modules_seen:
        # Only when modules were loaded since: later loads of a family go through the watcher.
        _modules_seen = len(sys.modules)
        _install()
        if len(_installed) < len(FAMILIES):
            _watch()
    return _last


def seeds_since(start: int) -> dict[str, Any]:
    """The last seed set per family after ``start`` (``None`` when the family was not seeded)."""
    seeds: dict[str, Any] = dict.fromkeys(FAMILIES)
    if _last == start:
        return seeds
    with _lock:
        for sequence, family, seed in _events:
            if sequence > start:
                seeds[family] = seed
    return seeds
