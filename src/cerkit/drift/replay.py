"""Replay: re-execute a recorded Python entry point and label it deterministic or not.

The record names what ran (``execution.entryPoint`` = ``module:qualname``) and with what
(``input`` = ``{"args": [...], "kwargs": {...}}``, decoded by
:func:`cerkit.capture.encode.decode`). Replay runs :mod:`cerkit.drift.rerun` ``runs`` times,
each in a fresh interpreter with this process's environment and working directory: it
imports the entry point, calls it through cerkit's recorder (the function's own ``@record``
wrapper when it has one, else a fresh one under the recorded entry point), and hands back
the new sealed record (also written to the store). Then replay compares:

* ``nondeterministic`` when the replays disagree among themselves, or when a replay differs
  from the original while every recorded factor is equal (``DRIFT_UNEXPLAINED``);
* ``deterministic`` otherwise. A replay that agrees with itself but not with the original,
  for a reason the diff names, is deterministic drift: the explanation says why.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cerkit.capture.replay import recorded_inputs
from cerkit.drift.attribution import Explanation, Verdict, explain
from cerkit.errors import OperationalError


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


def _store(store_url: str | None) -> Any:
    """The store new records go to, or ``False`` when no store backend is available."""
    from cerkit.ledger.factory import open_record_store

    try:
        return open_record_store(store_url)
    except OperationalError:
        return False


def replay(bundle: Mapping[str, Any], runs: int, *, store_url: str | None = None) -> ReplayResult:
    """Re-execute the recorded call ``runs`` times, each in a fresh interpreter here.

    Args:
        bundle: the original record.
        runs: how many times to call the entry point (>= 1).
        store_url: where the new records are stored (``None``: the default store).

    Returns:
        A :class:`ReplayResult`.

    Raises:
        SchemaError: the record cannot be replayed (see ``recorded_inputs``).
        OperationalError: a run could not start or produced no record.
    """
    entry_point, _args, _kwargs = recorded_inputs(bundle)  # fail early, here
    store = _store(store_url)
    stored = store is not False
    if stored:
        store.close()
    env = dict(os.environ)
    if store_url:
        env["CERKIT_STORE"] = store_url
    payload = json.dumps(bundle)
    new = []
    with tempfile.TemporaryDirectory(prefix="cerkit-replay-") as scratch:
        for run in range(runs):
            out = os.path.join(scratch, f"run-{run}.json")
            command = [sys.executable, "-m", "cerkit.drift.rerun", out]
            if not stored:
                command.append("--no-store")
            done = subprocess.run(
                command, input=payload, capture_output=True, text=True, env=env, check=False
            )
            if not os.path.exists(out):
                detail = done.stderr.strip().splitlines()[-1:] or ["no record written"]
                raise OperationalError(f"replay run {run + 1} of {entry_point} failed: {detail[0]}")
            with open(out, encoding="utf-8") as handle:
                new.append(json.load(handle))
    return _judge(bundle, entry_point, new, stored=stored)


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


__all__ = ["ReplayResult", "replay"]
