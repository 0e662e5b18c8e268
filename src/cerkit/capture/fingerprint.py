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
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, Final

from cerkit.canonical import CanonicalFragment, canonicalize
from cerkit.capture import _probes
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
_imported_cache: tuple[int, dict[str, Any]] | None = None
_numeric_cache: dict[Any, tuple[dict[str, Any], str]] = {}
_module_distributions: dict[str, list[str]] | None = None


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
                "locale": _guarded("locale", _probes.read_locale),
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
    global _stable, _env_cache, _imported_cache, _module_distributions
    with _lock:
        _stable = _env_cache = _imported_cache = _module_distributions = None
        _numeric_cache.clear()
    from cerkit.capture import _numeric

    _numeric.reset()


def fingerprint() -> dict[str, Any]:
    """The ``environment`` field for an execution happening now.

    Returns:
        A new dict each call (callers may keep it); parts are shared, not copied, and must
        not be mutated.
    """
    from cerkit.capture import _numeric

    stable = stable_parts()
    key, numeric = _numeric.read()
    cached = _numeric_cache.get(key)
    if cached is None:
        digest = hash_canonical({**stable, "numeric": numeric})
        cached = _numeric_cache.setdefault(key, (numeric, digest))
    environment = {"schema": SCHEMA, "digest": cached[1], **stable, "numeric": cached[0]}
    environment["imported"] = imported_packages()
    environment["envVars"] = env_vars()
    return environment


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
    for name, value in sorted(snapshot):
        if not _allowed(name, patterns):
            continue
        if is_secret_name(name) or looks_like_secret(value):
            redacted.append(name)
        else:
            values[name] = value
    part: dict[str, Any] = {"source": "os.environ, allowlist", "values": values}
    if redacted:
        part["redacted"] = {name: REDACTED for name in redacted}
    _env_cache = (state, part)
    return part


def _distributions_of_modules() -> dict[str, list[str]]:
    global _module_distributions
    if _module_distributions is None:
        from importlib.metadata import packages_distributions

        _module_distributions = {
            module: sorted({_probes.normalize_name(d) for d in dists})
            for module, dists in packages_distributions().items()
        }
    return _module_distributions


def imported_packages() -> dict[str, Any]:
    """The ``imported`` part: distributions with at least one module in ``sys.modules``.

    Recomputed only when the number of loaded modules changed (modules are rarely
    unloaded, so the count is a cheap and sound change detector).
    """
    global _imported_cache
    count = len(sys.modules)
    if _imported_cache is not None and _imported_cache[0] == count:
        return _imported_cache[1]
    owners = _distributions_of_modules()
    installed = stable_parts()["packages"].get("installed", {})
    names: set[str] = set()
    for module in list(sys.modules):
        names.update(owners.get(module.partition(".")[0], ()))
    packages = {name: installed.get(name, "unknown") for name in sorted(names)}
    part = {
        "source": "sys.modules, importlib.metadata.packages_distributions",
        "packages": packages,
    }
    _imported_cache = (count, part)
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
]
