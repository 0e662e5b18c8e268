"""``cerkit.workflow``: nested recordings chained into a NexArt project bundle, the bundle
verified by cerkit (with NexArt's projectHash rule) and every step by NexArt's ``verifyCer``;
a removed, added or reordered step fails with its own reason code; ``cerkit bundle create``."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openai
import pytest
from llm_fixtures import API_KEY, Records

import cerkit as ck
from cerkit.canonical import canonicalize
from cerkit.capture.workflow import Workflow
from cerkit.digest import PREFIX
from cerkit.errors import Reason
from cerkit.integrations import openai as cerkit_openai
from cerkit.integrations.standin import StandIn
from cerkit.seal import seal_args
from cerkit.verify import Layer, Report
from cerkit.verify.project import UNHASHED_PROJECT_FIELDS, project_hash, verify_project_bundle


def cerkit(*argv: str | Path) -> subprocess.CompletedProcess[str]:
    """``cerkit ARGV...`` in a subprocess, as a user runs it."""
    command = [sys.executable, "-c", "from cerkit.cli import run; run()", *map(str, argv)]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ)
    )


def _reasons(report: Report) -> set[str]:
    return {str(c.reason) for c in report.failures if c.layer is Layer.INTEGRITY}


def nexart_project_hash(bundle: dict[str, Any]) -> str:
    """NexArt's rule (conformance README): sha256 of the canonical JSON of the bundle without
    integrity, embeddedBundles and finalOutputSummary."""
    import hashlib

    covered = {k: v for k, v in bundle.items() if k not in UNHASHED_PROJECT_FIELDS}
    return PREFIX + hashlib.sha256(canonicalize(covered)).hexdigest()


@ck.record(store=False)
def retrieve(query: str) -> list[str]:
    return [f"doc about {query}", "another doc"]


def run_workflow(tmp_path: Path, client: openai.OpenAI | None = None) -> Workflow:
    with ck.workflow("answer", output=tmp_path / "project.json") as wf:
        docs = retrieve("tides")
        with ck.recording("app:summarize", inputs={"docs": docs}, store=False) as rec:
            if client is not None:  # an LLM call nested in a recorded block: its own step
                reply = client.chat.completions.create(
                    model="gpt-4o", messages=[{"role": "user", "content": docs[0]}]
                )
                rec.output = reply.choices[0].message.content
            else:
                rec.output = " / ".join(docs)
        with ck.recording("app:format", inputs={"text": rec.output}, store=False) as last:
            last.output = f"<p>{rec.output}</p>"
    return wf


def test_a_workflow_chains_nested_recordings_into_a_verified_project_bundle(
    tmp_path: Path, standin: StandIn, records: Records, verified: Any
) -> None:
    client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
    handle = cerkit_openai.instrument(client, store=False, hooks=[records])
    try:
        wf = run_workflow(tmp_path, client)
    finally:
        handle.uninstrument()
    kinds = [s["snapshot"]["execution"]["kind"] for s in wf.steps]
    assert kinds == ["python", "llm", "python", "python"]  # the LLM call ends before its block
    snapshots = [s["snapshot"] for s in wf.steps]
    assert [s["stepIndex"] for s in snapshots] == [0, 1, 2, 3]
    assert {s["workflowId"] for s in snapshots} == {"answer"}
    assert {s["runId"] for s in snapshots} == {wf.run_id}
    assert "prevStepHash" not in snapshots[0]
    for before, step in zip(wf.steps, snapshots[1:], strict=False):
        assert step["prevStepHash"] == before["certificateHash"]
    bundle = json.loads((tmp_path / "project.json").read_text("utf-8"))
    assert bundle == json.loads(json.dumps(wf.bundle))
    assert bundle["totalSteps"] == 4
    assert bundle["finalStepHash"] == wf.steps[-1]["certificateHash"]
    assert bundle["integrity"]["projectHash"] == nexart_project_hash(bundle)
    report = verify_project_bundle(bundle)
    assert report.ok, report.to_dict()
    verified(list(bundle["embeddedBundles"].values()))
    result = cerkit("verify", "--json", tmp_path / "project.json")
    assert result.returncode == 0, result.stdout + result.stderr


def _step(bundle: dict[str, Any], sequence: int) -> dict[str, Any]:
    entry = bundle["stepRegistry"][sequence]
    step: dict[str, Any] = bundle["embeddedBundles"][entry["stepId"]]
    return step


def _rehash(bundle: dict[str, Any], *, recount: bool = True) -> dict[str, Any]:
    """What a careful forger does after changing the steps: renumber, recount, rehash."""
    for sequence, entry in enumerate(bundle["stepRegistry"]):
        entry["sequence"] = sequence
    if recount:
        bundle["totalSteps"] = len(bundle["stepRegistry"])
    bundle["integrity"]["projectHash"] = project_hash(bundle)
    return bundle


@pytest.fixture
def project(tmp_path: Path) -> dict[str, Any]:
    wf = run_workflow(tmp_path)
    value: dict[str, Any] = copy.deepcopy(wf.bundle)
    assert verify_project_bundle(value).ok
    return value


def _remove(bundle: dict[str, Any], sequence: int) -> dict[str, Any]:
    entry = bundle["stepRegistry"].pop(sequence)
    del bundle["embeddedBundles"][entry["stepId"]]
    return bundle


def test_a_removed_step_fails_with_step_removed(project: dict[str, Any]) -> None:
    for sequence in (0, 1, 2):  # first, middle, last; recounted and rehashed
        reasons = _reasons(
            verify_project_bundle(_rehash(_remove(copy.deepcopy(project), sequence)))
        )
        assert reasons == {Reason.STEP_REMOVED}, (sequence, reasons)
    naive = _remove(copy.deepcopy(project), 1)  # registry and embedded CER dropped, nothing else
    assert _reasons(verify_project_bundle(naive)) == {
        Reason.STEP_REMOVED,
        Reason.PROJECT_HASH_MISMATCH,
    }


def test_an_added_step_fails_with_step_added(project: dict[str, Any]) -> None:
    # a step of another run of the same workflow, appended or inserted
    other = run_workflow_bundle()
    for at in (len(project["stepRegistry"]), 1):
        bundle = copy.deepcopy(project)
        extra = copy.deepcopy(_step(other, 1))
        entry = {**other["stepRegistry"][1], "stepId": "extra"}
        bundle["stepRegistry"].insert(at, entry)
        bundle["embeddedBundles"]["extra"] = extra
        assert _reasons(verify_project_bundle(_rehash(bundle))) == {Reason.STEP_ADDED}, at
    # a step of this run sealed after the final one, count left as declared
    bundle = copy.deepcopy(project)
    last = _step(bundle, 2)["snapshot"]
    args = {k: v for k, v in last.items() if k not in ("type", "inputHash", "outputHash")}
    args.update(stepId="later", stepIndex=3, prevStepHash=_step(bundle, 2)["certificateHash"])
    later = seal_args(args)
    bundle["stepRegistry"].append({**bundle["stepRegistry"][2], "stepId": "later",
                                   "certificateHash": later["certificateHash"]})  # fmt: skip
    bundle["embeddedBundles"]["later"] = later
    for recount in (True, False):
        reasons = _reasons(verify_project_bundle(_rehash(copy.deepcopy(bundle), recount=recount)))
        assert reasons == {Reason.STEP_ADDED}, recount


def run_workflow_bundle() -> dict[str, Any]:
    with ck.workflow("answer") as wf:
        for text in ("a", "b"):
            with ck.recording("app:step", inputs={"text": text}, store=False) as rec:
                rec.output = text.upper()
    assert wf.bundle is not None
    return wf.bundle


def test_a_reordered_step_fails_with_step_reordered(project: dict[str, Any]) -> None:
    for first, second in ((1, 2), (0, 1), (0, 2)):
        bundle = copy.deepcopy(project)
        registry = bundle["stepRegistry"]
        registry[first], registry[second] = registry[second], registry[first]
        reasons = _reasons(verify_project_bundle(_rehash(bundle)))
        assert reasons == {Reason.STEP_REORDERED}, (first, second, reasons)


def test_the_cli_names_each_reason_code(tmp_path: Path, project: dict[str, Any]) -> None:
    registry = project["stepRegistry"]
    cases = {
        Reason.STEP_REMOVED: _rehash(_remove(copy.deepcopy(project), 1)),
        Reason.STEP_REORDERED: _rehash(
            {**copy.deepcopy(project), "stepRegistry": [registry[0], registry[2], registry[1]]}
        ),
    }
    for reason, bundle in cases.items():
        path = tmp_path / f"{reason}.json"
        path.write_text(json.dumps(bundle), "utf-8")
        result = cerkit("verify", "--json", path)
        assert result.returncode == 1, result.stderr
        assert reason in result.stdout and "STEP_CHAIN_BROKEN" not in result.stdout


def test_bundle_create_rebuilds_the_bundle_from_stored_records(tmp_path: Path) -> None:
    store = tmp_path / "ledger.db"
    with ck.workflow("nightly") as wf:
        for x in (3, 1, 2):
            with ck.recording("app:square", inputs={"x": x}, store=str(store)) as rec:
                rec.output = x * x
    from cerkit.ledger import close_shared_stores

    close_shared_stores()
    export = tmp_path / "records.jsonl"
    exported = cerkit("records", "export", "--store", store, "-o", export)
    assert exported.returncode == 0, exported.stderr
    lines = export.read_text("utf-8").splitlines()
    export.write_text("\n".join(reversed(lines)) + "\n", "utf-8")  # order is not trusted
    created = cerkit("bundle", "create", export, "-o", tmp_path / "project.json")
    assert created.returncode == 0, created.stderr
    bundle = json.loads((tmp_path / "project.json").read_text("utf-8"))
    assert [e["certificateHash"] for e in bundle["stepRegistry"]] == [
        s["certificateHash"] for s in wf.steps
    ]
    assert bundle["integrity"]["projectHash"] == nexart_project_hash(bundle)
    assert cerkit("verify", tmp_path / "project.json").returncode == 0


def test_bundle_create_refuses_records_without_workflow_fields(tmp_path: Path) -> None:
    with ck.recording("app:alone", inputs={}, store=False) as rec:
        rec.output = 1
    path = tmp_path / "one.json"
    path.write_text(json.dumps(rec.bundle), "utf-8")
    result = cerkit("bundle", "create", path)
    assert result.returncode == 1 and "SCHEMA_ERROR" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
