"""Replay: re-execute a recorded Python entry point and label it deterministic or not.

The record names what ran (``execution.entryPoint`` = ``module:qualname``) and with what
(``input`` = ``{"args": [...], "kwargs": {...}}``, decoded by
:func:`cerkit.capture.encode.decode`). Replay imports the entry point in this process (the
current directory first on ``sys.path``), calls it ``runs`` times through cerkit's recorder
(the function's own ``@record`` wrapper when it has one, else a fresh one under the recorded
entry point), collects each new sealed record with a post-seal hook, and compares:

* ``nondeterministic`` when the replays disagree among themselves, or when a replay differs
  from the original while every recorded factor is equal (``DRIFT_UNEXPLAINED``);
* ``deterministic`` otherwise. A replay that agrees with itself but not with the original,
  for a reason the diff names, is deterministic drift: the explanation says why.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cerkit.drift.attribution import Explanation, Verdict, explain
from cerkit.errors import OperationalError, SchemaError


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What ``runs`` replays of one record showed."""

    original: str
    entry_point: str
    records: tuple[dict[str, Any], ...]
    label: str  # "deterministic" | "nondeterministic"
    distinct_outputs: int
    against_original: Explanation | None
    stored: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.original,
            "entryPoint": self.entry_point,
            "runs": len(self.records),
            "label": self.label,
            "distinctOutputs": self.distinct_outputs,
            "outputs": [r["snapshot"]["outputHash"] for r in self.records],
            "newRecords": [r["certificateHash"] for r in self.records],
            "stored": self.stored,
            "againstOriginal": self.against_original.to_json() if self.against_original else None,
        }


def resolve_entry_point(entry_point: str) -> Callable[..., Any]:
    """Import ``module:qualname`` (the current directory first on ``sys.path``).

    Raises:
        OperationalError: the module or attribute cannot be found or is not callable.
    """
    module_name, _, qualname = entry_point.partition(":")
    if not module_name or not qualname or module_name == "__main__":
        raise OperationalError(f"entry point {entry_point!r} cannot be imported for replay")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise OperationalError(f"cannot import {entry_point}: {exc}") from None
    if not callable(target):
        raise OperationalError(f"{entry_point} is not callable")
    return target  # type: ignore[no-any-return]


def recorded_call(bundle: Mapping[str, Any]) -> tuple[str, list[Any], dict[str, Any]]:
    """The entry point and decoded ``(args, kwargs)`` of a recorded Python call.

    Raises:
        SchemaError: not a recorded Python call, or its inputs were kept by digest only.
    """
    from cerkit.capture.encode import decode

    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    execution = snapshot.get("execution")
    if not isinstance(execution, Mapping) or execution.get("kind") != "python":
        raise SchemaError("only recorded Python calls (execution.kind 'python') can be replayed")
    entry_point = execution.get("entryPoint")
    inputs = snapshot.get("input")
    if not isinstance(entry_point, str) or not isinstance(inputs, Mapping):
        raise SchemaError("the record has no entry point or no {args, kwargs} input")
    args, kwargs = decode(inputs.get("args", [])), decode(inputs.get("kwargs", {}))
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise SchemaError("the record's input is not {args: [...], kwargs: {...}}")
    return entry_point, args, kwargs


def _store(store_url: str | None) -> Any:
    """The store new records go to, or ``False`` when no store backend is available."""
    from cerkit.drift.sources import open_record_store

    try:
        return open_record_store(store_url)
    except OperationalError:
        return False


def replay(bundle: Mapping[str, Any], runs: int, *, store_url: str | None = None) -> ReplayResult:
    """Re-execute the recorded call ``runs`` times here and compare the outputs.

    Args:
        bundle: the original record.
        runs: how many times to call the entry point (>= 1).
        store_url: where the new records are stored (``None``: the default store).

    Returns:
        A :class:`ReplayResult`.

    Raises:
        SchemaError: the record cannot be replayed (see :func:`recorded_call`).
        OperationalError: the entry point cannot be imported, or no run produced a record.
    """
    from cerkit.capture import recorder

    entry_point, args, kwargs = recorded_call(bundle)
    target = resolve_entry_point(entry_point)
    if getattr(target, "__cerkit_entry_point__", None) is None:
        target = recorder.record(name=entry_point)(target)
    new: list[dict[str, Any]] = []
    saved = (recorder.DEFAULTS.store, list(recorder.DEFAULTS.hooks))
    store = _store(store_url)
    recorder.DEFAULTS.store = store
    recorder.DEFAULTS.hooks = [*saved[1], lambda b: new.append(b)]
    try:
        for _ in range(runs):
            try:
                target(*args, **kwargs)
            except Exception:  # the failure is in the new record (status "error")
                continue
    finally:
        recorder.DEFAULTS.store, recorder.DEFAULTS.hooks = saved
        if store is not False:
            store.close()
    if not new:
        raise OperationalError(f"replaying {entry_point} produced no record")
    return _judge(bundle, entry_point, new, stored=store is not False)


def _judge(
    bundle: Mapping[str, Any], entry_point: str, new: list[dict[str, Any]], *, stored: bool
) -> ReplayResult:
    outputs = {r["snapshot"]["outputHash"] for r in new}
    explanation = explain(bundle, new[0])
    unexplained = explanation.verdict is Verdict.DRIFT_UNEXPLAINED
    label = "nondeterministic" if len(outputs) > 1 or unexplained else "deterministic"
    return ReplayResult(
        str(bundle.get("certificateHash", "")),
        entry_point,
        tuple(new),
        label,
        len(outputs),
        explanation,
        stored,
    )


__all__ = ["ReplayResult", "recorded_call", "replay", "resolve_entry_point"]
