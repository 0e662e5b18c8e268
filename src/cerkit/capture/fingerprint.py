"""The runtime fingerprint: the ``environment`` snapshot field (DESIGN §4, docs/capture.md).

Captured once per process and cached. Per execution only the cheap, volatile parts are
re-read: the numeric stack's thread counts and torch flags (``numeric``), the distributions
imported so far (``imported``) and the allowlisted environment variables (``envVars``).
``digest`` covers every part except ``imported`` and ``envVars``.

>>> env = fingerprint()
>>> env["schema"], env["python"]["source"]
('cerkit.environment.v1', 'sys, platform')
"""

from __future__ import annotations

import fnmatch
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any, Final

from cerkit.canonical import CanonicalFragment, canonicalize
from cerkit.capture import _imports, _probes
from cerkit.capture.secrets import REDACTED, is_secret_name, looks_like_secret, scrub
from cerkit.digest import hash_canonical

SCHEMA: Final[str] = "cerkit.environment.v1"

#: Drift-relevant environment variables (exact names and ``*`` globs). Extend it with
#: :func:`allow_env` or the comma-separated ``CERKIT_ENV_ALLOWLIST`` variable. A name that
#: looks like a secret is never recorded, even when allowlisted (``HF_TOKEN``).
DEFAULT_ENV_ALLOWLIST: Final[tuple[str, ...]] = (
    "PYTHONHASHSEED", "PYTHONPATH", "PYTHONOPTIMIZE", "PYTHONUTF8", "PYTHONWARNINGS",
    "OMP_*", "MKL_*", "OPENBLAS_*", "BLIS_*", "GOTO_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_*", "KMP_*", "GOMP_*", "NUMBA_*",
    "CUBLAS_WORKSPACE_CONFIG", "CUDA_*", "CUDNN_*", "NVIDIA_VISIBLE_DEVICES", "NCCL_*",
    "TORCH_*", "PYTORCH_*", "TF_DETERMINISTIC_OPS", "TF_CUDNN_*", "TF_ENABLE_ONEDNN_OPTS",
    "TF_NUM_*", "TF_XLA_FLAGS", "XLA_FLAGS", "JAX_*",
    "TOKENIZERS_PARALLELISM", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE",
    "TZ", "LANG", "LANGUAGE", "LC_*", "SOURCE_DATE_EPOCH",
)  # fmt: skip

_lock = threading.Lock()
_stable: dict[str, Any] | None = None
_allowlist: list[str] = list(DEFAULT_ENV_ALLOWLIST)
_env_cache: tuple[Any, dict[str, Any]] | None = None
_imported_cache: tuple[Any, dict[str, Any]] | None = None
_numeric_cache: dict[Any, tuple[dict[str, Any], str]] = {}
_locale_cache: tuple[tuple[str, ...], dict[str, Any]] | None = None
_user_code_cache: tuple[Any, dict[str, Any]] | None = None
_IMPORTED_SOURCE: Final[str] = (
    "sys.modules less cerkit's own imports and the interpreter's start-up, importlib.metadata"
)


def _guarded(source: str, reader: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return reader()
    except Exception as exc:  # a probe that fails makes its part unknown, never absent
        return {"source": source, "unknown": f"{type(exc).__name__}: {exc}"[:200]}


def stable_parts() -> dict[str, Any]:
    """The parts read once per process (cached; :func:`refresh` drops the cache)."""
    global _stable
    with _lock:
        if _stable is None:
            cwd = os.getcwd()
            _stable = {
                "python": _guarded("sys, platform", _probes.read_python),
                "os": _guarded("platform", _probes.read_os),
                "hardware": _guarded("/proc/cpuinfo", _probes.read_hardware),
                "gpus": _guarded("nvidia-smi", _probes.read_gpus),
                "packages": _guarded("importlib.metadata", _probes.read_packages),
                # its source names the working directory, which may hold a token or a URL
                # password (a clone folder named after its URL)
                "git": scrub(_guarded("git", lambda: _probes.read_git(cwd))),
            }
        return _stable


def refresh() -> None:
    """Forget every cached part, so the next :func:`fingerprint` reads them all again."""
    global _stable, _env_cache, _imported_cache, _locale_cache, _user_code_cache
    with _lock:
        _stable = _env_cache = _imported_cache = _locale_cache = _user_code_cache = None
        _numeric_cache.clear()
    from cerkit.capture import _numeric, _sources, _usage

    _numeric.reset()
    _usage.reset()
    _sources.reset()


def fingerprint(entry: str | None = None) -> dict[str, Any]:
    """The ``environment`` field for an execution happening now.

    Args:
        entry: the module of the recorded entry point (see :func:`imported_packages`).

    Returns:
        A new dict each call (callers may keep it); parts are shared, not copied, and must
        not be mutated.
    """
    from cerkit.capture import _numeric

    with _imports.machinery():
        stable = stable_parts()
        key, numeric = _numeric.read()
        state, locale_part = _current_locale()
        cached = _numeric_cache.get((key, state))
        if cached is None:
            digest = hash_canonical({**stable, "locale": locale_part, "numeric": numeric})
            cached = _numeric_cache.setdefault((key, state), (numeric, digest))
        environment = {"schema": SCHEMA, "digest": cached[1], **stable}
        environment["locale"] = locale_part
        environment["numeric"] = cached[0]
        environment["imported"] = imported_packages(entry)
        environment["envVars"] = env_vars()
    return environment


def _current_locale() -> tuple[tuple[str, ...], dict[str, Any]]:
    """``(state, part)``: the ``locale`` part, re-read per execution (a program may call
    ``setlocale``); the same object while the categories are unchanged, so caches hold."""
    global _locale_cache
    try:
        state = _probes.locale_state()
    except Exception as exc:
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return ("unknown",), {"source": "locale.setlocale", "unknown": reason}
    cached = _locale_cache
    if cached is None or cached[0] != state:
        cached = _locale_cache = (state, _guarded("locale", lambda: _probes.read_locale(state)))
    return cached


_canonical_cache: tuple[tuple[Any, ...], CanonicalFragment] | None = None


def canonical_environment(environment: dict[str, Any]) -> CanonicalFragment:
    """The canonical bytes of an ``environment`` built by :func:`fingerprint`, as a fragment
    for sealing. Cached while the parts are the same objects: the parts are cached, so a
    process pays for canonicalizing its (large) environment once, not per record."""
    global _canonical_cache
    parts = tuple(environment.values())
    cached = _canonical_cache
    if (
        cached is not None
        and len(cached[0]) == len(parts)
        and all(a is b for a, b in zip(cached[0], parts, strict=True))
    ):
        return cached[1]
    fragment = CanonicalFragment(canonicalize(environment))
    _canonical_cache = (parts, fragment)
    return fragment


def allow_env(*patterns: str) -> None:
    """Add names or ``*`` globs to the environment-variable allowlist.

    >>> allow_env("MYAPP_MODE", "MYAPP_FEATURE_*")
    """
    global _env_cache
    _allowlist.extend(patterns)
    _env_cache = None


def _allowed(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def env_vars() -> dict[str, Any]:
    """The ``envVars`` part: allowlisted variables, secrets left out (names listed)."""
    global _env_cache
    environ = os.environ
    # The raw bytes mapping under os.environ (CPython keeps it in ``_data``) is compared
    # without decoding every entry: this check runs for every recorded execution.
    raw = getattr(environ, "_data", None)
    state = tuple(raw.items()) if isinstance(raw, dict) else tuple(environ.items())
    if _env_cache is not None and _env_cache[0] == state:
        return _env_cache[1]
    snapshot = tuple(environ.items())
    extra = [p.strip() for p in environ.get("CERKIT_ENV_ALLOWLIST", "").split(",") if p.strip()]
    patterns = [*_allowlist, *extra]
    values: dict[str, str] = {}
    redacted: list[str] = []
    ours: list[str] = []
    for name, value in sorted(snapshot):
        if not _allowed(name, patterns):
            continue
        if _imports.set_by_cerkit(name, value):
            ours.append(name)
        elif is_secret_name(name) or looks_like_secret(value):
            redacted.append(name)
        else:
            values[name] = value
    source = "os.environ, allowlist"
    if ours:  # not the user's: a library cerkit itself imports set them
        source += f"; set by cerkit's own imports, left out: {', '.join(ours)}"
    part: dict[str, Any] = {"source": source, "values": values}
    if redacted:
        part["redacted"] = {name: REDACTED for name in redacted}
    _env_cache = (state, part)
    return part


def imported_packages(entry: str | None = None) -> dict[str, Any]:
    """The ``imported`` part: the distributions owning a module the execution used.

    Args:
        entry: the recorded entry point's module; what it refers to counts even when
            cerkit loaded the module first (:mod:`cerkit.capture._usage`).
    """
    global _imported_cache
    from cerkit.capture import _usage

    packages, _ = _usage.usage(entry)
    cached = _imported_cache
    if cached is not None and cached[0] is packages:
        return cached[1]
    part = {"source": _IMPORTED_SOURCE, "packages": packages}
    _imported_cache = (packages, part)
    return part


def user_code(entry: str | None = None) -> dict[str, Any]:
    """The ``execution.userCode`` field: per-file digests of the user's own modules the
    execution used (:mod:`cerkit.capture._sources`)."""
    global _user_code_cache
    from cerkit.capture import _sources, _usage

    _, files = _usage.usage(entry)
    cached = _user_code_cache
    if cached is not None and cached[0] is files:
        return cached[1]
    part: dict[str, Any] = scrub(_sources.user_code(files))  # paths may hold a token
    _user_code_cache = (files, part)
    return part


__all__ = [
    "DEFAULT_ENV_ALLOWLIST",
    "SCHEMA",
    "allow_env",
    "env_vars",
    "fingerprint",
    "imported_packages",
    "refresh",
    "stable_parts",
    "user_code",
]
