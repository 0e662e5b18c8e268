"""Replay, the pure half: what a record says to re-run, and what the re-runs mean.

The record names what ran (``execution.entryPoint`` = ``module:qualname``) and with what
(``input`` = ``{"args": [...], "kwargs": {...}}``, decoded by
:func:`cerkit.capture.encode.decode`). :func:`recorded_inputs` reads that call back;
:func:`label_replays` judges the new records that re-running it produced. Running it (here
or in fresh interpreters, with an environment or a ``sys.path`` overlay) is the edge module
:mod:`cerkit.drift.rerun`, whose :func:`~cerkit.drift.rerun.replay` puts the two together.

The label:

* ``nondeterministic`` when the replays disagree among themselves, or when a replay differs
  from the original while every recorded factor is equal (``DRIFT_UNEXPLAINED``);
* ``deterministic`` otherwise. A replay that agrees with itself but not with the original,
  for a reason the diff names, is deterministic drift: the explanation says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cerkit.capture.encode import decode
from cerkit.drift.attribution import Explanation, Verdict, explain
from cerkit.errors import SchemaError


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """A recorded Python call: its entry point and its decoded inputs."""

    entry_point: str
    args: list[Any]
    kwargs: dict[str, Any]


def recorded_inputs(bundle: Mapping[str, Any]) -> RecordedCall:
    """The entry point and decoded inputs of a recorded Python call.

    >>> call = recorded_inputs({"snapshot": {"execution": {"kind": "python",
    ...     "entryPoint": "json:dumps"}, "input": {"args": [[1, 2]], "kwargs": {}}}})
    >>> call.entry_point, call.args
    ('json:dumps', [[1, 2]])

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
    return RecordedCall(execution["entryPoint"], args, kwargs)


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


def label_replays(
    bundle: Mapping[str, Any], new: Sequence[dict[str, Any]], *, stored: bool
) -> ReplayResult:
    """Label the original ``bundle`` from the records its replays produced (at least one).

    Args:
        bundle: the original record.
        new: the replays' sealed records, in run order.
        stored: whether the new records also went to a store (reported, not judged).
    """
    outputs = {r["snapshot"]["outputHash"] for r in new}
    explanation = explain(bundle, new[0])
    unexplained = explanation.verdict is Verdict.DRIFT_UNEXPLAINED
    label = "nondeterministic" if len(outputs) > 1 or unexplained else "deterministic"
    return ReplayResult(
        str(bundle.get("certificateHash", "")),
        recorded_inputs(bundle).entry_point,
        tuple(new),
        label,
        len(outputs),
        explanation,
        stored,
    )


__all__ = ["RecordedCall", "ReplayResult", "label_replays", "recorded_inputs"]
