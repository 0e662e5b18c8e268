"""Weights on disk: a per-file sha256 manifest and its digest (``modelIdentity``).

Shared by the model families (torch checkpoints, transformers folders) and the command
wrapper (digests of the files a command read and wrote).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Final

from cerkit.digest import PREFIX, HexDigest, hash_canonical

# Folders that never hold weights and may be huge or volatile.
_SKIPPED_DIRS: Final = frozenset((".git", "__pycache__", ".cache"))


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
    for folder, dirs, names in os.walk(root, followlinks=True):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in sorted(names):
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


__all__ = ["file_digest", "identify_files", "weights_manifest"]
