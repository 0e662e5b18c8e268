"""Records built by hand after the shared field contract, sealed with ``cerkit.seal``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from cerkit.seal import seal_args

Maker = Callable[..., dict[str, Any]]


def base_args() -> dict[str, Any]:
    """createSnapshot arguments of a recorded Python call with a small fingerprint."""
    return {
        "executionId": "e-1",
        "provider": "python",
        "model": "app.score:predict",
        "prompt": "app.score:predict",
        "input": {"args": [[1.0, 2.0]], "kwargs": {}},
        "output": 0.75,
        "parameters": {"temperature": 0, "maxTokens": 0, "topP": None, "seed": None},
        "timestamp": "2026-01-01T00:00:00.000Z",
        "effectiveParameters": {"threshold": 0.5, "scale": 1.0},
        "modelIdentity": {"framework": "scikit-learn 1.5.2", "weightsDigest": "sha256:" + "a" * 64},
        "execution": {
            "kind": "python",
            "entryPoint": "app.score:predict",
            "codeDigest": "sha256:" + "c" * 64,
            "startedAt": "2026-01-01T00:00:00.000Z",
            "durationMs": 3,
            "status": "ok",
            "error": None,
            "seeds": {"random": None, "numpy": None, "torch": None},
        },
        "environment": {
            "schema": "cerkit.environment.v1",
            "digest": "sha256:" + "e" * 64,
            "python": {"source": "sys", "implementation": "CPython", "version": "3.11.7"},
            "os": {"source": "platform", "system": "Linux", "release": "6.1"},
            "locale": {"source": "locale", "locale": "C.UTF-8", "timezone": "UTC"},
            "hardware": {"source": "proc", "cpuModel": "Xeon", "cores": 2, "isaFlags": ["avx2"]},
            "gpus": {"source": "none", "devices": []},
            "numeric": {"source": "threadpoolctl", "blas": [{"vendor": "openblas", "threads": 2}]},
            "packages": {
                "source": "importlib.metadata",
                "installed": {"numpy": "2.1.0", "tinypkg": "1.0", "unused": "0.1"},
                "count": 3,
            },
            "imported": {"source": "sys.modules", "packages": {"numpy": "2.1.0", "tinypkg": "1.0"}},
            "envVars": {"source": "allowlist", "values": {"OMP_NUM_THREADS": "2"}},
            "git": {"source": "git", "unknown": "not a git repository"},
        },
    }


DROP = object()


def put(args: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted path of ``args`` (:data:`DROP` deletes it)."""
    *parents, last = path.split(".")
    node = args
    for part in parents:
        node = node[part]
    if value is DROP:
        del node[last]
    else:
        node[last] = value


def make(changes: dict[str, Any] | None = None, *, at: str = "2026-01-01T00:00:00.000Z") -> Any:
    """A sealed record: :func:`base_args` with dotted-path ``changes`` applied."""
    args = copy.deepcopy(base_args())
    for path, value in (changes or {}).items():
        put(args, path, value)
    args["timestamp"] = at
    return seal_args(args, created_at=at)
