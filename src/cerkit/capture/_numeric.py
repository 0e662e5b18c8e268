"""The ``numeric`` part of the fingerprint: BLAS/OpenMP libraries, numpy build, torch flags.

The libraries and builds are read once; the settings a program can change while it runs
(BLAS thread counts, torch thread counts, determinism and TF32 flags) are re-read for each
execution through cheap calls, and form the cache key of the part.
"""

from __future__ import annotations

import sys
from typing import Any, Final

# Modules whose import loads BLAS or OpenMP libraries: when this set changes, the
# threadpoolctl controller is rebuilt (building it costs milliseconds, reading it does not).
_NATIVE_MODULES: Final[tuple[str, ...]] = ("numpy", "scipy", "torch", "sklearn", "mkl", "jax")

_controller: Any = None
_controller_key: tuple[bool, ...] | None = None
_libs: tuple[tuple[int, ...], list[dict[str, Any]]] | None = None
_static: dict[str, Any] | None = None


def reset() -> None:
    global _controller, _controller_key, _static, _libs
    _controller = _controller_key = _static = _libs = None


def _installed_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _numpy_build() -> dict[str, Any]:
    if _installed_version("numpy") is None:
        return {"source": "importlib.metadata", "unknown": "numpy is not installed"}
    import numpy  # the BLAS numpy links decides most numeric results: read it

    config = numpy.show_config(mode="dicts")
    deps = config.get("Build Dependencies", {})
    simd = config.get("SIMD Extensions", {})
    return {
        "source": "numpy.show_config",
        "version": numpy.__version__,
        "blas": {k: deps.get("blas", {}).get(k) for k in ("name", "version")},
        "lapack": {k: deps.get("lapack", {}).get(k) for k in ("name", "version")},
        "simdBaseline": simd.get("baseline"),
        "simdFound": simd.get("found"),
        "compiler": "{name} {version}".format(**config.get("Compilers", {}).get("c", {}))
        if config.get("Compilers", {}).get("c")
        else None,
    }


def _static_parts() -> dict[str, Any]:
    global _static
    if _static is None:
        try:
            numpy_part = _numpy_build()
        except Exception as exc:
            numpy_part = {"source": "numpy.show_config", "unknown": f"{type(exc).__name__}: {exc}"}
        _static = {"numpy": numpy_part, "torchVersion": _installed_version("torch")}
    return _static


def _blas() -> tuple[tuple[int, ...], Any]:
    global _controller, _controller_key, _libs
    key = tuple(name in sys.modules for name in _NATIVE_MODULES)
    if _controller is None or key != _controller_key:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return (), {"unknown": "threadpoolctl is not installed"}
        _controller, _controller_key, _libs = ThreadpoolController(), key, None
    # Per execution only the thread counts are read (one cheap native call per library).
    threads = tuple(lib.num_threads or 0 for lib in _controller.lib_controllers)
    if _libs is None or _libs[0] != threads:
        _libs = (threads, _describe(_controller))
    return _libs


def _describe(controller: Any) -> list[dict[str, Any]]:
    libs = []
    for lib in controller.lib_controllers:
        info = lib.info()
        libs.append({
            "api": info.get("user_api"),
            "internalApi": info.get("internal_api"),
            "vendor": info.get("prefix"),
            "version": info.get("version"),
            "threads": info.get("num_threads"),
            "threadingLayer": info.get("threading_layer"),
            "architecture": info.get("architecture"),
            "filepath": info.get("filepath"),
        })  # fmt: skip
    libs.sort(key=lambda lib: (str(lib["api"]), str(lib["internalApi"]), str(lib["filepath"])))
    return libs


def _torch(version: str | None) -> dict[str, Any] | None:
    if version is None:
        return None
    torch = sys.modules.get("torch")
    if torch is None:
        return {
            "source": "importlib.metadata",
            "version": version,
            "unknown": "torch was not imported by this process: runtime settings not read",
        }
    cudnn = torch.backends.cudnn
    return {
        "source": "torch runtime",
        "version": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": cudnn.version() if cudnn.is_available() else None,
        "deterministicAlgorithms": torch.are_deterministic_algorithms_enabled(),
        "cudnnDeterministic": bool(cudnn.deterministic),
        "cudnnBenchmark": bool(cudnn.benchmark),
        "numThreads": torch.get_num_threads(),
        "numInteropThreads": torch.get_num_interop_threads(),
        "tf32Matmul": bool(torch.backends.cuda.matmul.allow_tf32),
        "tf32Cudnn": bool(cudnn.allow_tf32),
        "float32MatmulPrecision": torch.get_float32_matmul_precision(),
    }


def read() -> tuple[Any, dict[str, Any]]:
    """``(cache_key, part)``: the key changes whenever a value in the part can have changed."""
    static = _static_parts()
    threads, blas = _blas()
    torch_part = _torch(static["torchVersion"])
    part: dict[str, Any] = {
        "source": "threadpoolctl, numpy.show_config, torch runtime",
        "blas": blas,
        "numpy": static["numpy"],
    }
    if torch_part is not None:
        part["torch"] = torch_part
    torch_key = tuple(torch_part.values()) if torch_part else ()
    return (threads, _controller_key, torch_key), part
