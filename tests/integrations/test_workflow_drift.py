"""Drift across workflow steps: ``cerkit diff`` of two project bundles or two runs' records
names the first step whose output changed and its causes; ``cerkit drift`` groups workflow
records per workflow and step."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
from llm_fixtures import API_KEY
from test_workflow import cerkit

import cerkit as ck
from cerkit.capture.workflow import Workflow
from cerkit.drift.steps import bundle_steps, diff_workflows
from cerkit.integrations import openai as cerkit_openai
from cerkit.integrations.standin import StandIn


def agent(client: openai.OpenAI, question: str, out: Path) -> Workflow:
    """retrieve -> LLM call -> format, as one workflow run."""
    with ck.workflow("agent", output=out) as wf:
        with ck.recording("app:retrieve", inputs={"q": question}, store=False) as docs:
            docs.output = [f"notes on {question}"]
        reply = client.chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": docs.output[0]}]
        )
        text = reply.choices[0].message.content
        with ck.recording("app:format", inputs={"text": text}, store=False) as page:
            page.output = f"<p>{text}</p>"
    return wf


def _runs(standin: StandIn, tmp_path: Path) -> tuple[Workflow, Workflow]:
    client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
    handle = cerkit_openai.instrument(client, store=False)
    try:
        before = agent(client, "tides", tmp_path / "a.json")
        standin.repoint("gpt-4o", "gpt-4o-2024-11-20")  # the provider moved the alias
        after = agent(client, "tides", tmp_path / "b.json")
    finally:
        handle.uninstrument()
    return before, after


def test_diff_of_two_project_bundles_names_the_first_changed_step_and_its_cause(
    standin: StandIn, tmp_path: Path
) -> None:
    before, after = _runs(standin, tmp_path)
    assert before.bundle is not None and after.bundle is not None
    result = diff_workflows(bundle_steps(before.bundle), bundle_steps(after.bundle))
    first = result.first_changed
    assert first is not None and first.position == 1 and first.aligned_by == "position"
    assert first.explanation is not None
    assert first.explanation.causes[0].category == "model"
    assert [p.output_changed for p in result.pairs] == [False, True, True]
    cli = cerkit("diff", "--json", tmp_path / "a.json", tmp_path / "b.json")
    assert cli.returncode == 0, cli.stderr
    report = json.loads(cli.stdout)
    assert report["kind"] == "workflow"
    assert report["firstChanged"]["position"] == 1
    assert report["firstChanged"]["causes"][0]["category"] == "model"
    assert "gpt-4o-2024-11-20" in json.dumps(report["firstChanged"]["causes"][0])
    text = cerkit("diff", tmp_path / "a.json", tmp_path / "b.json")
    assert "step 1" in text.stdout and "first whose output changed" in text.stdout


def test_diff_of_two_runs_records_and_a_missing_step(standin: StandIn, tmp_path: Path) -> None:
    before, after = _runs(standin, tmp_path)
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text("".join(json.dumps(s) + "\n" for s in reversed(before.steps)), "utf-8")
    b.write_text("".join(json.dumps(s) + "\n" for s in after.steps[:2]), "utf-8")
    report = json.loads(cerkit("diff", "--json", a, b).stdout)
    verdicts = [s["verdict"] for s in report["steps"]]
    assert verdicts[0] == "IDENTICAL" and verdicts[2] == "STEP_MISSING"
    assert report["firstChanged"]["position"] == 1


def test_diff_refuses_a_tampered_bundle_and_mixed_inputs(standin: StandIn, tmp_path: Path) -> None:
    before, _ = _runs(standin, tmp_path)
    bundle: dict[str, Any] = json.loads((tmp_path / "a.json").read_text("utf-8"))
    bundle["stepRegistry"].pop(1)
    (tmp_path / "bad.json").write_text(json.dumps(bundle), "utf-8")
    bad = cerkit("diff", tmp_path / "bad.json", tmp_path / "b.json")
    assert bad.returncode == 1 and "STEP_REMOVED" in bad.stderr, bad.stderr
    (tmp_path / "one.json").write_text(json.dumps(before.steps[0]), "utf-8")
    mixed = cerkit("diff", tmp_path / "one.json", tmp_path / "b.json")
    assert mixed.returncode == 2 and "Traceback" not in mixed.stderr, mixed.stderr


def test_drift_groups_workflow_records_per_workflow_and_step(
    standin: StandIn, tmp_path: Path
) -> None:
    before, after = _runs(standin, tmp_path)
    records = tmp_path / "records.jsonl"
    lines = [json.dumps(s) for s in [*before.steps, *after.steps]]
    records.write_text("\n".join(lines) + "\n", "utf-8")
    result = cerkit("drift", "--json", records)
    assert result.returncode == 0, result.stderr
    groups = {g["step"]: g for g in json.loads(result.stdout)["workflowSteps"]}
    assert set(groups) == {"app:retrieve#0", "gpt-4o#0", "app:format#0"}
    assert all(g["workflow"] == "agent" and g["runs"] == 2 for g in groups.values())
    assert groups["app:retrieve#0"]["changes"] == []
    (llm,) = groups["gpt-4o#0"]["changes"]
    assert llm["verdict"] == "DRIFT_EXPLAINED" and llm["causes"][0]["category"] == "model"
    (page,) = groups["app:format#0"]["changes"]  # its input changed: another request
    assert page["verdict"] == "EXPECTED_CHANGE"
    text = cerkit("drift", records)
    assert "workflow agent / step gpt-4o#0: 2 runs, 2 distinct outputs" in text.stdout
