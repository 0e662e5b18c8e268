"""The project configuration: ``cerkit.toml`` or ``[tool.cerkit]`` in ``pyproject.toml``.

The file is found upward from the working directory (the first folder holding a
``cerkit.toml``, or a ``pyproject.toml`` with a ``[tool.cerkit]`` table, wins). Precedence, as
everywhere in cerkit: command-line flags > ``CERKIT_*`` variables > the file > defaults.
A bad file is a :class:`ConfigError` (a usage error, exit 2) naming the file and the key.

Sections (docs/config.md)::

    [tool.cerkit.store]          # url, key_dir, node_url
    [tool.cerkit.drift]          # rtol, atol, text, nondeterministic = [...]
    [[tool.cerkit.drift.tolerance]]  # match = KEY-PREFIX or ENTRY:POINT, rtol, atol, text
    [tool.cerkit.disclosure]     # kept as given: cerkit.disclosure.policy reads it

Example::

    >>> load(environ={}, start="/").drift.rtol
    0.0
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from cerkit.errors import UsageError

FILE_NAMES: Final[tuple[str, ...]] = ("cerkit.toml", "pyproject.toml")
#: Text normalizations a tolerance may ask for before comparing strings.
TEXT_MODES: Final[tuple[str, ...]] = ("exact", "strip", "whitespace", "casefold")
#: Variables read, and the dotted key each one sets.
ENV_KEYS: Final[dict[str, str]] = {
    "CERKIT_STORE": "store.url",
    "CERKIT_KEY_DIR": "store.key_dir",
    "CERKIT_NODE_URL": "store.node_url",
    "CERKIT_DRIFT_RTOL": "drift.rtol",
    "CERKIT_DRIFT_ATOL": "drift.atol",
}


class ConfigError(UsageError):
    """The configuration file (or a ``CERKIT_*`` variable) holds a value cerkit refuses."""


@dataclass(frozen=True)
class Tolerance:
    """How close two outputs of one execution key (or entry point) must be to count as equal."""

    match: str
    rtol: float = 0.0
    atol: float = 0.0
    text: str = "exact"


@dataclass(frozen=True)
class DriftConfig:
    rtol: float = 0.0
    atol: float = 0.0
    text: str = "exact"
    tolerances: tuple[Tolerance, ...] = ()
    nondeterministic: tuple[str, ...] = ()

    def tolerance_for(self, key: str, entry_point: str | None) -> Tolerance:
        """The first ``[[drift.tolerance]]`` whose ``match`` is ``entry_point`` or a prefix of
        ``key`` (``sha256:`` optional), else the section-wide default."""
        for tol in self.tolerances:
            if _matches(tol.match, key, entry_point):
                return tol
        return Tolerance("*", self.rtol, self.atol, self.text)

    def declared_nondeterministic(self, key: str, entry_point: str | None) -> bool:
        return any(_matches(m, key, entry_point) for m in self.nondeterministic)


@dataclass(frozen=True)
class StoreConfig:
    url: str | None = None
    key_dir: str | None = None
    node_url: str | None = None


@dataclass(frozen=True)
class Config:
    path: Path | None = None
    store: StoreConfig = field(default_factory=StoreConfig)
    drift: DriftConfig = field(default_factory=DriftConfig)
    disclosure: Mapping[str, Any] = field(default_factory=dict)


def _matches(pattern: str, key: str, entry_point: str | None) -> bool:
    if entry_point is not None and pattern == entry_point:
        return True
    bare = pattern.removeprefix("sha256:")
    return bool(bare) and key.removeprefix("sha256:").startswith(bare)


def find(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The configuration file governing ``start`` (default: the working directory)."""
    here = Path(start if start is not None else os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "cerkit.toml").is_file():
            return folder / "cerkit.toml"
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "cerkit" in _read(pyproject).get("tool", {}):
            return pyproject
    return None


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _table(path: Path) -> dict[str, Any]:
    data = _read(path)
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("cerkit", {})
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: tool.cerkit: must be a table")
    return data


def load(
    start: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    path: str | os.PathLike[str] | None = None,
) -> Config:
    """The configuration in force: defaults, then the file, then variables, then flags.

    Args:
        start: the folder to search upward from (default: the working directory).
        environ: the variables (default ``os.environ``); see :data:`ENV_KEYS`.
        flags: dotted keys given on the command line (``{"drift.rtol": 1e-6}``); ``None``
            values are ignored, so an argparse default of ``None`` means "not given".
        path: this file instead of searching.

    Raises:
        ConfigError: a bad file, key or value, with the file and key in the message.
    """
    found = Path(path) if path is not None else find(start)
    raw: dict[str, Any] = _table(found) if found is not None else {}
    where = str(found) if found is not None else "configuration"
    env = os.environ if environ is None else environ
    layered: dict[str, Any] = {}
    for name, dotted in ENV_KEYS.items():
        if env.get(name):
            layered[dotted] = env[name]
    for dotted, value in (flags or {}).items():
        if value is not None:
            layered[dotted] = value
    for dotted, value in layered.items():
        section, _, key = dotted.partition(".")
        raw.setdefault(section, {})
        if not isinstance(raw[section], dict):
            raise ConfigError(f"{where}: {section}: must be a table")
        raw[section] = {**raw[section], key: value}
    return _build(raw, where, found)


def _build(raw: dict[str, Any], where: str, found: Path | None) -> Config:
    unknown = sorted(set(raw) - {"store", "drift", "disclosure"})
    if unknown:
        raise ConfigError(f"{where}: {unknown[0]}: unknown section")
    store = _section(raw, "store", where)
    drift = _section(raw, "drift", where)
    disclosure = _section(raw, "disclosure", where)
    return Config(
        path=found,
        store=_store(store, where),
        drift=_drift(drift, where),
        disclosure=disclosure,
    )


def _section(raw: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: {name}: must be a table")
    return value


def _store(table: dict[str, Any], where: str) -> StoreConfig:
    _only(table, {"url", "key_dir", "node_url"}, f"{where}: store")
    values = {k: _text(table, k, f"{where}: store.{k}") for k in table}
    return StoreConfig(**values)


def _drift(table: dict[str, Any], where: str) -> DriftConfig:
    _only(table, {"rtol", "atol", "text", "tolerance", "nondeterministic"}, f"{where}: drift")
    base = _tolerance({"match": "*", **table}, f"{where}: drift", defaults=None)
    items = table.get("tolerance", [])
    if not isinstance(items, list):
        raise ConfigError(f"{where}: drift.tolerance: must be an array of tables")
    tolerances = []
    for i, item in enumerate(items):
        label = f"{where}: drift.tolerance[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{label}: must be a table")
        _only(item, {"match", "rtol", "atol", "text"}, label)
        if not isinstance(item.get("match"), str) or not item["match"]:
            raise ConfigError(f"{label}.match: a key prefix or an entry point is required")
        tolerances.append(_tolerance(item, label, defaults=base))
    nondet = table.get("nondeterministic", [])
    if not isinstance(nondet, list) or not all(isinstance(m, str) and m for m in nondet):
        raise ConfigError(f"{where}: drift.nondeterministic: must be a list of keys/entry points")
    return DriftConfig(base.rtol, base.atol, base.text, tuple(tolerances), tuple(nondet))


def _tolerance(table: dict[str, Any], label: str, defaults: Tolerance | None) -> Tolerance:
    start = defaults or Tolerance("*")
    rtol = _number(table, "rtol", label, start.rtol)
    atol = _number(table, "atol", label, start.atol)
    text = table.get("text", start.text)
    if text not in TEXT_MODES:
        raise ConfigError(f"{label}.text: {text!r} is not one of {', '.join(TEXT_MODES)}")
    return Tolerance(str(table["match"]), rtol, atol, str(text))


def _number(table: dict[str, Any], key: str, label: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(f"{label}.{key}: {value!r} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{label}.{key}: must be a number")
    if not 0.0 <= float(value) < float("inf"):
        raise ConfigError(f"{label}.{key}: must be a finite number >= 0")
    return float(value)


def _text(table: dict[str, Any], key: str, label: str) -> str:
    value = table[key]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{label}: must be a non-empty string")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], label: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{label}.{unknown[0]}: unknown key")


def project_store(start: str | os.PathLike[str] | None = None) -> StoreConfig:
    """The file's ``[store]`` settings alone (no variables, no flags), each path made absolute
    against the file's folder, so a ``cerkit.toml`` governs its subfolders too; URLs are kept.
    The defaults layer of :func:`cerkit.ledger.factory.store_url` and
    :func:`cerkit.keyring.key_dir`.

    Raises:
        ConfigError: the file is invalid.
    """
    config = load(start, environ={})
    if config.path is None:
        return config.store
    folder = config.path.parent
    return replace(
        config.store,
        url=_anchored(config.store.url, folder),
        key_dir=_anchored(config.store.key_dir, folder),
    )


def _anchored(value: str | None, folder: Path) -> str | None:
    if value is None:
        return None
    if value.startswith("sqlite:///") and not value.startswith("sqlite:////"):
        return str(folder / value[len("sqlite:///") :])  # a plain path is SQLite too
    if "://" in value or os.path.isabs(value):
        return value
    return str(folder / value)


def with_drift(config: Config, **changes: Any) -> Config:
    """``config`` with some drift settings replaced (used by flags that add tolerances)."""
    return replace(config, drift=replace(config.drift, **changes))


__all__ = [
    "Config",
    "ConfigError",
    "DriftConfig",
    "StoreConfig",
    "Tolerance",
    "find",
    "load",
    "project_store",
]
