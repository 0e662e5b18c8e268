"""Verification of NexArt project bundles (``cer.project.bundle.v1``, docs/spec.md §2.4).

A project bundle groups the CERs of one multi-step workflow. Steps, numbered as in the code:

1. the envelope has the project shape (``bundleType``, ``integrity``, ``stepRegistry``...);
2. the bundle names a supported protocol version, which fixes the canonical profile;
3. ``integrity.projectHash`` recomputes: the canonical hash of the bundle without
   ``integrity``, ``embeddedBundles`` and ``finalOutputSummary``;
4. every registered step has its embedded CER, bound to the registry by certificateHash,
   and that CER passes the integrity layer on its own; no unregistered CER is embedded;
5. the steps form a chain: each step's ``snapshot.prevStepHash`` is the certificateHash of
   the step before it (in ``sequence`` order), and the first step has none;
6. the bundle is complete (:mod:`cerkit.verify._completeness`): the declared ``totalSteps``
   and ``finalStepHash``, each step's ``stepIndex`` and ``runId`` and the links tell a
   removed step (``STEP_REMOVED``), an added one (``STEP_ADDED``) and a reordered one
   (``STEP_REORDERED``) apart; a broken chain they explain is reported under their code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cerkit._text import counted
from cerkit.bundle import profile_for
from cerkit.digest import hash_canonical, is_digest
from cerkit.errors import CerkitError, Reason
from cerkit.verify._completeness import check_completeness
from cerkit.verify.integrity import check_integrity
from cerkit.verify.report import Layer, Report, Status

PROJECT_BUNDLE_TYPE: Final[str] = "cer.project.bundle.v1"
PROJECT_HASH_ALGORITHM: Final[str] = "sha256-canonical-json"
#: Top-level fields the project hash does not cover.
UNHASHED_PROJECT_FIELDS: Final[frozenset[str]] = frozenset(
    ("integrity", "embeddedBundles", "finalOutputSummary")
)

_L = Layer.INTEGRITY


def is_project_bundle(document: Any) -> bool:
    """True when ``document`` declares itself a project bundle."""
    return isinstance(document, Mapping) and document.get("bundleType") == PROJECT_BUNDLE_TYPE


def project_hash(bundle: Mapping[str, Any]) -> str:
    """The ``integrity.projectHash`` a project bundle should carry.

    Raises:
        UnsupportedProtocolError: the bundle's ``protocolVersion`` is not supported.
        CanonicalizationError: the bundle has no canonical form.
    """
    covered = {k: v for k, v in bundle.items() if k not in UNHASHED_PROJECT_FIELDS}
    return hash_canonical(covered, profile_for(bundle))


def verify_project_bundle(bundle: Any, *, source: str = "") -> Report:
    """Verify a ``cer.project.bundle.v1`` document and every CER embedded in it."""
    integrity = bundle.get("integrity") if isinstance(bundle, Mapping) else None
    claimed = integrity.get("projectHash") if isinstance(integrity, Mapping) else None
    report = Report(certificate_hash=claimed if isinstance(claimed, str) else "", source=source)
    # (1) envelope
    errors = _envelope_errors(bundle)
    if errors:
        report.add(_L, "project_schema", Status.FAIL, Reason.SCHEMA_ERROR, "; ".join(errors))
        return report
    report.add(
        _L, "project_schema", Status.PASS, Reason.OK, counted(len(bundle["stepRegistry"]), "step")
    )
    # (2) and (3) protocol version, project hash
    try:
        expected = project_hash(bundle)
    except CerkitError as exc:
        report.add(_L, "project_hash", Status.FAIL, exc.reason, exc.message)
        return report
    if expected != claimed:
        report.add(
            _L, "project_hash", Status.FAIL, Reason.PROJECT_HASH_MISMATCH, f"recomputed {expected}"
        )
    else:
        report.add(_L, "project_hash", Status.PASS, Reason.OK, expected)
    # (4) embedded CERs
    steps = sorted(bundle["stepRegistry"], key=lambda step: step["sequence"])
    embedded: Mapping[str, Any] = bundle["embeddedBundles"]
    for step in steps:
        _check_step(step, embedded.get(step["stepId"]), report)
    unregistered = set(embedded) - {step["stepId"] for step in steps}
    if unregistered:
        report.add(
            _L,
            "embedded_bundles",
            Status.FAIL,
            Reason.STEP_CHAIN_BROKEN,
            f"embedded CERs not in the step registry: {', '.join(sorted(unregistered))}",
        )
    # (6) then (5): completeness explains a broken chain when it can
    explained = check_completeness(bundle, steps, embedded, report)
    _check_chain(steps, embedded, report, explained)
    return report


def _envelope_errors(bundle: Any) -> list[str]:
    if not isinstance(bundle, Mapping):
        return ["a project bundle must be a JSON object"]
    errors = []
    if bundle.get("bundleType") != PROJECT_BUNDLE_TYPE:
        errors.append(f"bundleType must be {PROJECT_BUNDLE_TYPE!r}")
    integrity = bundle.get("integrity")
    if not isinstance(integrity, Mapping):
        errors.append("integrity must be an object")
    else:
        if integrity.get("algorithm") != PROJECT_HASH_ALGORITHM:
            errors.append(f"integrity.algorithm must be {PROJECT_HASH_ALGORITHM!r}")
        if not is_digest(integrity.get("projectHash")):
            errors.append("integrity.projectHash must be 'sha256:' and 64 lowercase hex digits")
    registry = bundle.get("stepRegistry")
    if not isinstance(registry, list) or not all(_is_step(step) for step in registry):
        errors.append("stepRegistry must be a list of {stepId, sequence, certificateHash}")
    elif len({step["sequence"] for step in registry}) != len(registry):
        errors.append("stepRegistry sequences must be unique")
    elif "totalSteps" in bundle and type(bundle["totalSteps"]) is not int:
        errors.append("totalSteps must be an integer")
    if "finalStepHash" in bundle and not is_digest(bundle["finalStepHash"]):
        errors.append("finalStepHash must be 'sha256:' and 64 lowercase hex digits")
    if not isinstance(bundle.get("embeddedBundles"), Mapping):
        errors.append("embeddedBundles must be an object")
    return errors


def _is_step(step: Any) -> bool:
    return (
        isinstance(step, Mapping)
        and isinstance(step.get("stepId"), str)
        and type(step.get("sequence")) is int
        and is_digest(step.get("certificateHash"))
    )


def _check_step(step: Mapping[str, Any], cer: Any, report: Report) -> None:
    name = f"step[{step['sequence']}]"
    if cer is None:
        report.add(
            _L, name, Status.FAIL, Reason.STEP_CHAIN_BROKEN, f"no embedded CER for {step['stepId']}"
        )
        return
    if not isinstance(cer, Mapping) or cer.get("certificateHash") != step["certificateHash"]:
        report.add(
            _L,
            name,
            Status.FAIL,
            Reason.STEP_CHAIN_BROKEN,
            "embedded CER's certificateHash differs from the step registry's",
        )
        return
    inner = Report(certificate_hash=step["certificateHash"])
    check_integrity(cer, inner)
    for check in inner.checks:
        report.add(check.layer, f"{name}/{check.name}", check.status, check.reason, check.message)


def _check_chain(
    steps: list[Mapping[str, Any]],
    embedded: Mapping[str, Any],
    report: Report,
    explained: bool = False,
) -> None:
    previous = None
    broken = []
    for step in steps:
        cer = embedded.get(step["stepId"])
        snapshot = cer.get("snapshot") if isinstance(cer, Mapping) else None
        link = snapshot.get("prevStepHash") if isinstance(snapshot, Mapping) else None
        if link != previous:
            broken.append(f"step {step['sequence']} links to {link}, expected {previous}")
        previous = step["certificateHash"]
    if broken and explained:
        return  # the completeness check failed and said why
    if broken:
        report.add(_L, "step_chain", Status.FAIL, Reason.STEP_CHAIN_BROKEN, "; ".join(broken))
    else:
        report.add(
            _L, "step_chain", Status.PASS, Reason.OK, f"{counted(len(steps), 'step')} chained"
        )
