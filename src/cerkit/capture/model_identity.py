"""Identity of local models: what exactly was loaded, by digest (``modelIdentity`` field).

* scikit-learn estimators: public class path, ``get_params()``, and a digest of the fitted
  state (every public attribute ending in ``_``, nested estimators included).
* torch modules: a digest of the state dict, tensor by tensor in key order, each framed by
  its key, dtype and shape, so a renamed, reshaped or recast tensor changes the digest.
* weight files and folders: a per-file sha256 manifest streamed with ``hashlib.file_digest``
  and a digest of the manifest.

>>> identify("gpt-4o")["requestedModel"]
'gpt-4o'
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cerkit.canonical import canonicalize
from cerkit.capture.encode import EncodeOptions, encode
from cerkit.digest import PREFIX, HexDigest, hash_canonical

_STATE_OPTIONS = EncodeOptions(content=False, object_state=True)
# Folders that never hold weights and may be huge or volatile.
_SKIPPED_DIRS = frozenset((".git", "__pycache__", ".cache"))


def public_class_path(kind: type) -> str:
    """``sklearn.linear_model.LogisticRegression`` rather than the private module path."""
    parts = [p for p in kind.__module__.split(".") if not p.startswith("_")]
    return ".".join([*parts, kind.__qualname__])


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def _is_estimator(value: Any) -> bool:
    return hasattr(value, "get_params") and hasattr(value, "fit") and not isinstance(value, type)


def sklearn_state_digest(estimator: Any) -> HexDigest:
    """Digest of an estimator's fitted state (public attributes ending in ``_``) and of the
    fitted state of the estimators among its parameters (pipelines, ensembles, searches)."""
    return hash_canonical(_sklearn_state(estimator))


def _sklearn_state(estimator: Any) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name in sorted(vars(estimator)):
        if name.endswith("_") and not name.startswith("_"):
            state[name] = encode(getattr(estimator, name), _STATE_OPTIONS)
    for name, value in sorted(estimator.get_params(deep=False).items()):
        for index, item in enumerate(_estimators_in(value)):
            state[f"{name}[{index}]"] = _sklearn_state(item)
    return state


def _estimators_in(value: Any) -> list[Any]:
    if _is_estimator(value):
        return [value]
    if isinstance(value, list | tuple):
        found = []
        for item in value:  # Pipeline.steps: [(name, estimator), ...]
            found.extend(_estimators_in(item[1] if isinstance(item, tuple) else item))
        return found
    return []


def _param_value(value: Any) -> Any:
    # Nested estimators appear by class; their own parameters are listed under their
    # ``step__param`` names by ``get_params(deep=True)`` and their state is in the digest.
    if _is_estimator(value):
        return public_class_path(type(value))
    if isinstance(value, list | tuple):
        return [_param_value(item) for item in value]
    return value


def identify_sklearn(estimator: Any) -> dict[str, Any]:
    """``modelIdentity`` of a scikit-learn estimator."""
    params = estimator.get_params(deep=True)
    return {
        "provider": "local",
        "framework": f"scikit-learn {_version('scikit-learn')}",
        "class": public_class_path(type(estimator)),
        "parameters": encode({k: _param_value(v) for k, v in params.items()}),
        "weightsDigest": sklearn_state_digest(estimator),
    }


def torch_weights_digest(module: Any) -> HexDigest:
    """Digest of a torch module's state dict, tensor by tensor in key order.

    Each tensor contributes a header (the canonical JSON of ``[key, dtype, shape, nbytes]``
    and a newline) followed by its raw C-order bytes, so no two different state dicts can
    produce the same byte stream.
    """
    from cerkit.capture._encoders import tensor_bytes

    hasher = hashlib.sha256()
    for key, tensor in module.state_dict().items():
        data = tensor_bytes(tensor)
        header = [key, str(tensor.dtype).removeprefix("torch."), list(tensor.shape), data.nbytes]
        hasher.update(canonicalize(header) + b"\n")
        hasher.update(memoryview(data))
    return HexDigest(PREFIX + hasher.hexdigest())


def identify_torch(module: Any) -> dict[str, Any]:
    """``modelIdentity`` of a torch ``nn.Module``."""
    state = module.state_dict()
    dtypes = sorted({str(t.dtype).removeprefix("torch.") for t in state.values()})
    return {
        "provider": "local",
        "framework": f"torch {_version('torch')}",
        "class": f"{type(module).__module__}.{type(module).__qualname__}",
        "parameters": {
            "tensors": len(state),
            "elements": sum(int(t.numel()) for t in state.values()),
            "dtypes": dtypes,
            "training": bool(module.training),
        },
        "weightsDigest": torch_weights_digest(module),
    }


def file_digest(path: str | os.PathLike[str]) -> HexDigest:
    """``sha256:<hex>`` of a file, streamed (``hashlib.file_digest``: hashlib speed)."""
    with open(path, "rb") as handle:
        return HexDigest(PREFIX + hashlib.file_digest(handle, "sha256").hexdigest())


def weights_manifest(path: str | os.PathLike[str]) -> dict[str, HexDigest]:
    """Relative path (``/``-separated) -> digest of every file under ``path``, sorted.

    A single file gives a one-entry manifest keyed by its name. Symbolic links are followed
    (model caches link files to content-addressed blobs); ``.git`` and caches are skipped.
    """
    root = Path(path)
    if root.is_file():
        return {root.name: file_digest(root)}
    manifest: dict[str, HexDigest] = {}
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            full = Path(folder, name)
            manifest[full.relative_to(root).as_posix()] = file_digest(full)
    return dict(sorted(manifest.items()))


def identify_files(path: str | os.PathLike[str]) -> dict[str, Any]:
    """``modelIdentity`` of weights on disk: per-file manifest and its digest."""
    manifest = weights_manifest(path)
    return {
        "provider": "local",
        "class": "files",
        "requestedModel": os.fspath(path),
        "weightsManifest": manifest,
        "weightsDigest": hash_canonical(manifest),
    }


def identify(model: Any) -> dict[str, Any]:
    """``modelIdentity`` for whatever names a model: an estimator, a torch module, a path to
    weights, a mapping of identity fields, or a model name.

    Raises:
        FileNotFoundError: a path that does not exist.
    """
    if isinstance(model, Mapping):
        return dict(model)
    if isinstance(model, os.PathLike) or (isinstance(model, str) and os.path.exists(model)):
        return identify_files(model)
    if isinstance(model, str):
        return {"requestedModel": model}
    if "torch" in sys.modules:
        import torch

        if isinstance(model, torch.nn.Module):
            return identify_torch(model)
    if _is_estimator(model):
        return identify_sklearn(model)
    return {"class": public_class_path(type(model))}


def model_name(identity: Mapping[str, Any]) -> str | None:
    """The name a record's ``model`` field should carry for this identity."""
    for key in ("servedModel", "requestedModel", "class"):
        value = identity.get(key)
        if isinstance(value, str) and value:
            return value
    return None


__all__ = [
    "file_digest",
    "identify",
    "identify_files",
    "identify_sklearn",
    "identify_torch",
    "model_name",
    "sklearn_state_digest",
    "torch_weights_digest",
    "weights_manifest",
]
