"""Which seeds the recorded code actually set: ``execution.seeds``.

The seeding functions of ``random``, numpy (``numpy.random.seed``, ``default_rng``) and
torch (``torch.manual_seed``) are wrapped the first time a recording starts after their
module was imported. A wrapper notes ``(sequence, family, seed)`` and calls the original;
a recording reports, per family, the last seed set between its start and its end.

Limits (docs/capture.md): code that bound a seeding function before the wrapper was
installed (``from random import seed``) is not seen, and seeds set by other threads during a
recording are attributed to it.
"""

from __future__ import annotations

import functools
import itertools
import sys
import threading
from collections import deque
from collections.abc import Callable
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


def _install() -> None:
    if "random" not in _installed and "random" in sys.modules:
        module = sys.modules["random"]
        module.seed = _wrap("random", module.seed)  # type: ignore[attr-defined]
        _installed.add("random")
    if "numpy" not in _installed and "numpy.random" in sys.modules:
        nprandom = sys.modules["numpy.random"]
        nprandom.seed = _wrap("numpy", nprandom.seed)  # type: ignore[attr-defined]
        nprandom.default_rng = _wrap("numpy", nprandom.default_rng)  # type: ignore[attr-defined]
        _installed.add("numpy")
    if "torch" not in _installed and "torch.random" in sys.modules and "torch" in sys.modules:
        torch = sys.modules["torch"]
        wrapped = _wrap("torch", torch.manual_seed)
        torch.manual_seed = wrapped  # type: ignore[attr-defined]
        sys.modules["torch.random"].manual_seed = wrapped  # type: ignore[attr-defined]
        _installed.add("torch")


def mark() -> int:
    """Start watching: returns the sequence number to pass to :func:`seeds_since`."""
    if len(_installed) < len(FAMILIES):
        _install()
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
