"""One replay run, in a fresh interpreter: ``python -m cerkit.drift.rerun OUT [--no-store]``.

Reads the original record on standard input, imports its entry point (the current directory
first on ``sys.path``), calls it once with the decoded recorded inputs through cerkit's
recorder and writes the new sealed record to ``OUT``. A fresh process per run sees the
environment as a new execution would (hash seed, module state, imported packages), and
keeps the replaying tool's own imports out of the new record.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any

from cerkit.errors import OperationalError, SchemaError


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


def run_once(bundle: Mapping[str, Any], out: str, *, store: bool) -> None:
    """Call the recorded entry point once; the new record goes to ``out`` (and the store)."""
    from cerkit.capture import recorder

    entry_point, args, kwargs = recorded_call(bundle)

    def keep(new: dict[str, Any]) -> None:
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(new, handle)

    recorder.configure(store=None if store else False, hooks=[*recorder.DEFAULTS.hooks, keep])
    target = resolve_entry_point(entry_point)
    if getattr(target, "__cerkit_entry_point__", None) is None:
        target = recorder.record(name=entry_point)(target)
    with contextlib.suppress(Exception):  # the failure is in the new record (status error)
        target(*args, **kwargs)


def main() -> int:
    from cerkit.errors import CerkitError

    try:
        bundle = json.loads(sys.stdin.read())
        run_once(bundle, sys.argv[1], store="--no-store" not in sys.argv[2:])
    except CerkitError as exc:
        print(f"cerkit: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
