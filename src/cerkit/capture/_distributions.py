"""Installed distributions and which of them owns a loaded module (docs/capture.md).

One pass over ``importlib.metadata.distributions()`` gives every distribution's version and
the top-level names and folders it provides, for every install kind:

* wheels (and ``pip install --target``): ``top_level.txt`` when present, else the first path
  component of each ``RECORD`` entry (read as text: building ``PackagePath`` objects for a
  large ``RECORD`` such as torch's costs tenfold);
* editable installs: the folders named by the ``.pth`` files the ``RECORD`` lists, the
  project folder of ``direct_url.json`` (PEP 610, written by pip, uv and pdm), and the
  module maps of setuptools' ``__editable___*_finder.py`` and ``editables`` import hooks;
* namespace packages (one top-level name shared by several distributions): the module's
  file decides, looked up in the candidates' ``RECORD``.

A distribution whose metadata cannot be read (a broken ``RECORD``, an undecodable
``METADATA``) is listed with ``{"unknown": reason}`` as its version; it never costs the
record. Modules are mapped by file location first, so the copy actually loaded wins.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import unquote, urlparse

#: Longest reason kept for an unreadable distribution.
_REASON_LIMIT: Final[int] = 200


def normalize_name(name: str) -> str:
    """A distribution name normalized per PEP 503."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Dist:
    """What the index knows about one installed distribution."""

    name: str
    version: Any  # a version string, or {"unknown": reason}
    location: str  # the folder holding its .dist-info (its files are relative to it)
    tops: set[str] = field(default_factory=set)
    roots: list[str] = field(default_factory=list)  # editable source folders
    source: Any = None  # the importlib.metadata distribution (its RECORD is read lazily)


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:_REASON_LIMIT]


def _record_paths(text: str) -> list[str]:
    paths = []
    for line in text.splitlines():
        path = line.rsplit(",", 2)[0] if line.count(",") >= 2 else line
        path = path.strip().strip('"')
        if path:
            paths.append(path)
    return paths


def _firsts(record: str) -> set[tuple[str, str]]:
    """Distinct ``(first path component, "/" or "")`` of a RECORD's lines ("/": a folder).

    Plain string splitting: four times faster than a regex over a large RECORD (torch's has
    tens of thousands of lines)."""
    firsts = set()
    for line in record.splitlines():
        head, slash, _ = line.partition(",")[0].strip('"').partition("/")
        if head:
            firsts.add((head, slash))
    return firsts


def _tops_of(firsts: set[tuple[str, str]]) -> set[str]:
    tops: set[str] = set()
    for first, slash in firsts:
        if first == ".." or first.endswith((".dist-info", ".egg-info", ".data")):
            continue
        name = first if slash else (inspect.getmodulename(first) or first)
        if "." not in name and name != "__pycache__":
            tops.add(name)
    return tops


def _pth_roots(location: str, files: list[str]) -> list[str]:
    roots = []
    for path in files:
        if not path.endswith(".pth"):
            continue
        try:
            with open(os.path.join(location, path), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        for line in lines:
            line = line.strip()
            if line and not line.startswith(("#", "import ", "import\t")):
                roots.append(os.path.realpath(os.path.join(location, line)))
    return roots


def _hook_maps(location: str, files: list[str]) -> dict[str, str]:
    """``{top-level name: path}`` from editable import hooks (setuptools, ``editables``)."""
    found: dict[str, str] = {}
    for path in files:
        if not path.endswith(".py") or "editable" not in path:
            continue
        try:
            with open(os.path.join(location, path), encoding="utf-8") as handle:
                tree = ast.parse(handle.read())
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):  # setuptools: MAPPING = {"pkg": "/src/pkg"}
                pairs = zip(node.keys, node.values, strict=True)
            elif isinstance(node, ast.Call) and len(node.args) == 2:  # map_module("pkg", path)
                pairs = zip(node.args[:1], node.args[1:], strict=True)
            else:
                continue
            for key, value in pairs:
                name, target = _constant(key), _constant(value)
                if name is not None and target is not None:
                    found[name.partition(".")[0]] = target
    return found


def _constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _direct_url_root(dist: Any) -> str | None:
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    info = json.loads(text)
    if not info.get("dir_info", {}).get("editable"):
        return None
    url = urlparse(info.get("url", ""))
    return os.path.realpath(unquote(url.path)) if url.scheme == "file" else None


def _name_version(dist: Any) -> tuple[str | None, str | None]:
    """``Name`` and ``Version`` from the metadata headers, without the email parser (which
    also parses the long description: most of the cost of a cold fingerprint)."""
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the headers end at the first blank line
        key, sep, value = line.partition(":")
        if sep and key in ("Name", "Version") and key not in fields:
            fields[key] = value.strip()
    return fields.get("Name"), fields.get("Version")


#: A RECORD this small may be an editable install's (a .pth file or an import hook and the
#: .dist-info files), so it is read even when top_level.txt names the modules; a larger one
#: is a regular install (torch's RECORD is 1.4 MB: not read when top_level.txt exists).
_SMALL_RECORD: Final[int] = 4096


def _record_size(info_dir: Any) -> int:
    try:
        return os.path.getsize(os.path.join(str(info_dir), "RECORD")) if info_dir else 0
    except OSError:
        return 0


def _describe(dist: Any) -> Dist:
    location = os.path.realpath(str(dist.locate_file("")))
    info_dir = getattr(dist, "_path", None)
    fallback = os.path.basename(str(info_dir)) if info_dir else "unnamed"
    try:
        name, version = _name_version(dist)
    except Exception as exc:  # an undecodable METADATA
        return Dist(normalize_name(fallback.split("-")[0]), {"unknown": _reason(exc)}, location)
    if not name:
        reason = "METADATA is missing or has no Name"
        return Dist(normalize_name(fallback.split("-")[0]), {"unknown": reason}, location)
    entry = Dist(normalize_name(name), version or {"unknown": "no Version"}, location)
    entry.source = dist
    try:
        top_level = dist.read_text("top_level.txt")
        project = _direct_url_root(dist)
        if top_level and not project and _record_size(info_dir) > _SMALL_RECORD:
            entry.tops = set(top_level.split())  # a regular install that names its modules
            return entry
        firsts = _firsts(dist.read_text("RECORD") or "")
        entry.tops = set(top_level.split()) if top_level else _tops_of(firsts)
        top_files = sorted(first for first, slash in firsts if not slash)
        entry.roots = _pth_roots(location, top_files)
        hooks = _hook_maps(location, top_files)
        entry.tops.update(hooks)
        entry.roots.extend(os.path.realpath(os.path.dirname(p)) for p in hooks.values())
        if project:
            entry.roots.append(project)
    except Exception as exc:  # a broken RECORD: the package is unknown, the rest is kept
        entry.version = {"unknown": _reason(exc)}
    return entry


class Index:
    """Every installed distribution, and the module -> distribution lookup."""

    def __init__(self, path: list[str] | None = None) -> None:
        from importlib.metadata import distributions

        self.dists: list[Dist] = []
        seen: set[str] = set()
        found = distributions(path=path) if path is not None else distributions()
        for dist in found:
            try:
                entry = _describe(dist)
            except Exception as exc:
                entry = Dist("unreadable-distribution", {"unknown": _reason(exc)}, "")
            if entry.name not in seen:  # the first on sys.path wins, as it does for imports
                seen.add(entry.name)
                self.dists.append(entry)
        self.by_top: dict[str, list[Dist]] = {}
        for entry in self.dists:
            for top in entry.tops:
                self.by_top.setdefault(top, []).append(entry)
        self.roots = sorted(
            ((root, entry) for entry in self.dists for root in entry.roots),
            key=lambda pair: -len(pair[0]),
        )
        self._files: dict[str, set[str]] = {}

    def installed(self) -> dict[str, Any]:
        return dict(sorted((d.name, d.version) for d in self.dists))

    def _owns_file(self, entry: Dist, relative: str) -> bool:
        files = self._files.get(entry.name)
        if files is None:
            try:
                files = set(_record_paths(entry.source.read_text("RECORD") or ""))
            except Exception:  # unreadable: this distribution cannot claim the file
                files = set()
            self._files[entry.name] = files
        return relative in files

    def owner(self, module: str, file: str | None) -> Dist | None:
        """The distribution that provides ``module`` (loaded from ``file``), if any."""
        candidates = self.by_top.get(module.partition(".")[0], [])
        if file is None:
            return candidates[0] if len(candidates) == 1 else None
        placed = [d for d in candidates if d.location and _within(file, d.location)]
        if len(placed) > 1:  # a namespace package: the distribution that lists the file
            for entry in placed:
                relative = os.path.relpath(file, entry.location).replace(os.sep, "/")
                if self._owns_file(entry, relative):
                    return entry
        if placed:
            return placed[0]
        for root, entry in self.roots:  # editable installs: source folders outside site
            if _within(file, root):
                return entry
        return None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def site_folders() -> tuple[str, ...]:
    """Folders whose modules are installed packages (site-packages, dist-packages)."""
    import site
    import sysconfig

    folders = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    try:
        folders.update(site.getsitepackages())
        folders.add(site.getusersitepackages())
    except AttributeError:  # virtualenv's old site.py
        pass
    folders.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    return tuple(sorted({os.path.realpath(f) for f in folders if f}))


def stdlib_folders() -> tuple[str, ...]:
    import sysconfig

    paths = sysconfig.get_paths()
    return tuple(sorted({os.path.realpath(paths[k]) for k in ("stdlib", "platstdlib")}))


__all__ = ["Dist", "Index", "normalize_name", "site_folders", "stdlib_folders"]
