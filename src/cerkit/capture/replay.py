"""Re-running a recorded Python call from its record (what ``cerkit replay`` builds on).

A record made by :func:`cerkit.capture.recorder.record` names its callee
(``execution.entryPoint`` = ``module:qualname``) and keeps its inputs as
``{"args": [...], "kwargs": {...}}`` in the encoding of :mod:`cerkit.capture.encode`, which
decodes back for JSON-native values, tuples, sets, bytes and arrays recorded with content.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cerkit.capture.encode import decode, encode
from cerkit.capture.secrets import scrub
from cerkit.digest import hash_payload
from cerkit.errors import OperationalError, SchemaError


@dataclass(frozen=True, slots=True)
class Rerun:
    """The outcome of calling a recorded entry point again."""

    output: Any  # the encoded return value, or {"error": {...}} when the call raised
    output_hash: str
    same_output: bool  # equal to the recorded outputHash


def entry_point_callable(entry_point: str, *, unwrap: bool = True) -> Callable[..., Any]:
    """Import ``module:qualname``.

    Args:
        entry_point: the recorded ``execution.entryPoint``.
        unwrap: return the function under a recorder wrapper (calling it makes no new
            record); ``False`` keeps the wrapper, so a call is recorded with the options the
            code itself gave the recorder (model, content policy...).

    Raises:
        OperationalError: the module or attribute cannot be imported or is not callable.
    """
    module_name, _, qualname = entry_point.partition(":")
    if not module_name or not qualname or "<" in qualname:
        raise OperationalError(f"entry point {entry_point!r} cannot be imported")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise OperationalError(f"cannot import {entry_point}: {exc}") from None
    if unwrap:
        target = getattr(target, "__wrapped__", target)
    if not callable(target):
        raise OperationalError(f"{entry_point} is not callable")
    return target  # type: ignore[no-any-return]


def recorded_inputs(bundle: Mapping[str, Any]) -> tuple[str, list[Any], dict[str, Any]]:
    """``(entry_point, args, kwargs)`` of a recorded Python call, inputs decoded.

    Raises:
        SchemaError: not a Python call record.
        NotDecodable: an input was recorded by digest only.
    """
    snapshot = bundle.get("snapshot")
    snapshot = snapshot if isinstance(snapshot, Mapping) else {}
    execution = snapshot.get("execution")
    inputs = snapshot.get("input")
    if not isinstance(execution, Mapping) or execution.get("kind") != "python":
        raise SchemaError("only records of Python calls (execution.kind 'python') can be re-run")
    if not isinstance(inputs, Mapping) or not isinstance(execution.get("entryPoint"), str):
        raise SchemaError("the record has no entry point or no {args, kwargs} input")
    args, kwargs = decode(inputs.get("args", [])), decode(inputs.get("kwargs", {}))
    if not isinstance(args, list) or not isinstance(kwargs, dict):
        raise SchemaError("the record's input is not {args: [...], kwargs: {...}}")
    return execution["entryPoint"], args, kwargs


def rerun(bundle: Mapping[str, Any]) -> Rerun:
    """Call the recorded entry point again with the recorded inputs, here, unrecorded.

    >>> from cerkit.capture.recorder import record
    >>> import json
    >>> recorded = record(json.dumps, store=False)
    >>> _ = recorded([1, 2])
    >>> rerun(recorded.last_record).same_output
    True
    """
    entry_point, args, kwargs = recorded_inputs(bundle)
    function = entry_point_callable(entry_point)
    try:
        output = scrub(encode(function(*args, **kwargs)))  # as the recorder does
    except Exception as exc:
        kind = type(exc)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        output = {"error": {"type": name, "message": scrub(str(exc))}}
    if output is None:
        output = {"$type": "none"}
    digest = hash_payload(output)
    return Rerun(output, digest, digest == bundle["snapshot"].get("outputHash"))


__all__ = ["Rerun", "entry_point_callable", "recorded_inputs", "rerun"]
