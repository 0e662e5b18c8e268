"""The demo's pipeline part: real records of a real scikit-learn model.

It writes a small pipeline module (a random forest on scikit-learn's bundled breast-cancer
data, with a ``classify`` function under ``@cerkit.record``) next to the store, and records
the same input three times, as a real project meets it:

1. the baseline;
2. after the pipeline code changed a parameter default (``threshold``), same input;
3. after retraining with another seed.

Every record is sealed, stored and verified; one tampered copy must fail. The run takes a
few seconds and can be repeated (each run adds three records).
"""

from __future__ import annotations

import copy
import importlib
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from cerkit.demo.base import Demo

MODULE = "cerkit_demo_pipeline"
_PIPELINE = '''"""Demo pipeline written by `cerkit demo`: a random forest on breast-cancer data."""

from sklearn.ensemble import RandomForestClassifier

import cerkit

MODEL = {{}}


def train(features, labels, seed=0):
    """Fit the classifier (40 trees, depth 4) and make it the current model."""
    MODEL["current"] = RandomForestClassifier(
        n_estimators=40, max_depth=4, random_state=seed
    ).fit(features, labels)


@cerkit.record(model=lambda: MODEL["current"])
def classify(rows, threshold={threshold}):
    """Malignancy scores and labels (1 = flagged) for the given rows."""
    scores = MODEL["current"].predict_proba(rows)[:, 0]
    return {{
        "scores": [round(float(s), 4) for s in scores],
        "labels": [int(s >= threshold) for s in scores],
    }}
'''


@dataclass(frozen=True)
class Step:
    """One recorded execution of the demo."""

    label: str
    bundle: dict[str, Any]
    verdict: str


def _load(folder: Path, threshold: float) -> ModuleType:
    """Write the pipeline with ``threshold`` as the default and (re)import it."""
    path = folder / f"{MODULE}.py"
    path.write_text(_PIPELINE.format(threshold=threshold), encoding="utf-8")
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    module = sys.modules.get(MODULE)
    if module is not None and getattr(module, "__file__", None) == str(path):
        return importlib.reload(module)
    sys.modules.pop(MODULE, None)
    return importlib.import_module(MODULE)


# The patients classified: a mix of clear and borderline cases (held out from training).
_PATIENTS = (0, 19, 41, 44, 73, 81, 86, 112, 133, 148, 157, 385)


def _dataset() -> tuple[Any, Any, Any]:
    import numpy
    from sklearn.datasets import load_breast_cancer

    features, labels = load_breast_cancer(return_X_y=True)
    held_out = numpy.zeros(len(features), dtype=bool)
    held_out[list(_PATIENTS)] = True
    return features[~held_out], labels[~held_out], features[held_out]


def record_steps(folder: Path, store: Any, report: Callable[[str], None]) -> list[Step]:
    """Record, verify and explain the three executions; return them.

    Args:
        folder: where the pipeline module is written (next to the store).
        store: the record store the records go to.
        report: where the human-readable lines go.
    """
    from cerkit.capture import recorder
    from cerkit.verify import verify_bundle

    folder.mkdir(parents=True, exist_ok=True)
    train_x, train_y, rows = _dataset()
    saved = (recorder.DEFAULTS.store, list(recorder.DEFAULTS.hooks))
    recorder.DEFAULTS.store = store
    steps: list[Step] = []
    try:
        for label, threshold, seed in (
            ("baseline", 0.5, 0),
            ("default changed", 0.35, 0),
            ("retrained, seed 1", 0.35, 1),
        ):
            pipeline = _load(folder, threshold)
            pipeline.train(train_x, train_y, seed=seed)
            pipeline.classify(rows)
            bundle = pipeline.classify.last_record
            steps.append(Step(label, bundle, str(verify_bundle(bundle).verdict)))
    finally:
        recorder.DEFAULTS.store, recorder.DEFAULTS.hooks = saved
    for number, (step, before) in enumerate(zip(steps, [None, *steps[:-1]], strict=True), 1):
        report(_line(number, step, before))
    return steps


def run(demo: Demo) -> bool:
    """The part: record the three executions, check a tampered copy fails; True when every
    record verified."""
    demo.report(
        "cerkit demo: a random forest on scikit-learn's breast-cancer data classifies the same"
    )
    demo.report(
        "12 patients three times; each call is recorded by @cerkit.record, sealed and verified."
    )
    steps = record_steps(demo.folder, demo.store, demo.report)
    demo.report(f"  tamper check: one label edited in record 1 -> {tamper_check(steps[0].bundle)}")
    demo.records.extend(step.bundle for step in steps)
    return all(step.verdict == "VERIFIED" for step in steps)


def tamper_check(bundle: Mapping[str, Any]) -> str:
    """Edit one label in a copy of the record and return the verifier's verdict line."""
    from cerkit.verify import verify_bundle

    tampered = copy.deepcopy(dict(bundle))
    labels = tampered["snapshot"]["output"]["labels"]
    labels[0] = 1 - labels[0]
    report = verify_bundle(tampered)
    reasons = sorted({str(c.reason) for c in report.checks if str(c.status) == "FAIL"})
    return f"{report.verdict} ({', '.join(reasons)})"


def _flagged(bundle: Mapping[str, Any]) -> str:
    labels = bundle["snapshot"]["output"]["labels"]
    return f"{sum(labels)} of {len(labels)} flagged"


def _line(number: int, step: Step, before: Step | None) -> str:
    cert = step.bundle["certificateHash"][:19]
    text = f"  {number}. {step.label:<18} {cert}  {step.verdict:<8}  {_flagged(step.bundle)}"
    if before is not None:
        text += f"; vs {number - 1}: {_changes(before.bundle, step.bundle)}"
    return text


def _get(bundle: Mapping[str, Any], *path: str) -> Any:
    value: Any = bundle["snapshot"]
    for key in path:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _changes(a: Mapping[str, Any], b: Mapping[str, Any]) -> str:
    """The facts that moved between two records, in a few words."""
    said = ["same input" if _get(a, "inputHash") == _get(b, "inputHash") else "input changed"]
    before, after = _get(a, "effectiveParameters") or {}, _get(b, "effectiveParameters") or {}
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            said.append(f"{name} {before.get(name)} -> {after.get(name)}")
    if _get(a, "execution", "codeDigest") != _get(b, "execution", "codeDigest"):
        said.append("code changed")
    if _get(a, "modelIdentity", "weightsDigest") != _get(b, "modelIdentity", "weightsDigest"):
        said.append("model weights changed")
    said.append(
        "output changed" if _get(a, "outputHash") != _get(b, "outputHash") else "same output"
    )
    return ", ".join(said)
