"""The LangChain/LangGraph handler on real LangGraph graphs whose LLM nodes call the official
``openai`` client over HTTP against the local stand-in: one CER per LLM call, tool call and
node, chained, and a project bundle per run; every step verifies with cerkit and NexArt."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from langgraph_fixtures import OpenAIChat, branching_graph, linear_graph
from llm_fixtures import API_KEY
from test_workflow import _reasons, _rehash, _remove, cerkit, nexart_project_hash

import cerkit as ck
from cerkit.errors import Reason
from cerkit.integrations.langchain import CerkitCallbackHandler
from cerkit.integrations.standin import StandIn
from cerkit.verify.project import verify_project_bundle


@pytest.fixture
def model(standin: StandIn) -> OpenAIChat:
    client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
    return OpenAIChat(client=client)


def _steps(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [bundle["embeddedBundles"][e["stepId"]]["snapshot"] for e in bundle["stepRegistry"]]


def _check_bundle(bundle: dict[str, Any], verified: Any) -> list[dict[str, Any]]:
    report = verify_project_bundle(json.loads(json.dumps(bundle)))
    assert report.ok, report.to_dict()
    assert bundle["integrity"]["projectHash"] == nexart_project_hash(bundle)
    verified(list(bundle["embeddedBundles"].values()))
    return _steps(bundle)


def test_a_graph_with_two_llm_nodes_and_a_tool_node(
    model: OpenAIChat, verified: Any, tmp_path: Path
) -> None:
    handler = CerkitCallbackHandler("research-agent", output=tmp_path / "p.json", store=False)
    result = linear_graph(model).invoke(
        {"question": "tides", "facts": []}, config={"callbacks": [handler]}
    )
    assert result["answer"]
    assert handler.bundle is not None
    steps = _check_bundle(handler.bundle, verified)
    kinds = [(s["execution"]["kind"], s["model"]) for s in steps]
    assert kinds == [
        ("llm", "gpt-4o"), ("node", "plan"), ("tool", "lookup"), ("node", "research"),
        ("llm", "gpt-4o"), ("node", "answer"), ("graph", "LangGraph"),
    ]  # fmt: skip
    plan_call = steps[0]
    assert plan_call["prompt"] == "Plan briefly."
    assert plan_call["modelVersion"] == "gpt-4o-2024-08-06"  # the stand-in's alias
    assert plan_call["modelIdentity"]["providerFingerprint"]
    assert plan_call["parameters"]["temperature"] == 0.2 and plan_call["parameters"]["seed"] == 7
    assert plan_call["output"]["content"] == result["plan"]
    tool = steps[2]
    assert tool["input"] == {"topic": "tides"} and "tides follow the moon" in str(tool["output"])
    assert tool["toolCalls"][0]["name"] == "lookup" and tool["toolCalls"][0]["status"] == "ok"
    assert steps[-1]["output"]["answer"] == result["answer"]
    assert {s["workflowId"] for s in steps} == {"research-agent"}
    assert len({s["runId"] for s in steps}) == 1
    assert [s["stepIndex"] for s in steps] == list(range(7))
    assert [s["execution"]["langgraphStep"] for s in steps if s["execution"]["kind"] == "node"] == [
        1, 2, 3
    ]  # fmt: skip
    assert json.loads((tmp_path / "p.json").read_text("utf-8")) == json.loads(
        json.dumps(handler.bundle)
    )
    assert cerkit("verify", tmp_path / "p.json").returncode == 0
    # the handler's bundles tell removed and reordered steps apart like any other
    assert _reasons(verify_project_bundle(_rehash(_remove(handler.bundle, 3)))) == {
        Reason.STEP_REMOVED
    }


def test_a_branching_graph_names_the_parents_of_the_join(model: OpenAIChat, verified: Any) -> None:
    handler = CerkitCallbackHandler("branching", store=False)
    result = branching_graph(model).invoke(
        {"question": "tides", "facts": []}, config={"callbacks": [handler]}
    )
    assert len(result["facts"]) == 2
    assert handler.bundle is not None
    steps = _check_bundle(handler.bundle, verified)
    nodes = {s["model"]: s for s in steps if s["execution"]["kind"] == "node"}
    assert set(nodes) == {"plan", "notes", "almanac", "answer"}
    assert nodes["notes"]["parentStepIds"] == [nodes["plan"]["stepId"]]
    assert nodes["almanac"]["parentStepIds"] == [nodes["plan"]["stepId"]]
    assert sorted(nodes["answer"]["parentStepIds"]) == sorted(
        [nodes["notes"]["stepId"], nodes["almanac"]["stepId"]]
    )
    registry = {e["stepId"]: e for e in handler.bundle["stepRegistry"]}
    assert "parentStepIds" in registry[nodes["answer"]["stepId"]]
    tools = sorted(s["model"] for s in steps if s["execution"]["kind"] == "tool")
    assert tools == ["almanac", "lookup"]


def test_a_run_that_raises_in_a_tool_is_recorded_up_to_the_error(
    model: OpenAIChat, verified: Any
) -> None:
    handler = CerkitCallbackHandler("failing", store=False)
    with pytest.raises(ValueError, match="sealed"):
        linear_graph(model).invoke(
            {"question": "forbidden", "facts": []}, config={"callbacks": [handler]}
        )
    assert handler.bundle is not None
    steps = _check_bundle(handler.bundle, verified)
    kinds = [(s["execution"]["kind"], s["execution"]["status"]) for s in steps]
    assert kinds == [
        ("llm", "ok"), ("node", "ok"), ("tool", "error"), ("node", "error"), ("graph", "error"),
    ]  # fmt: skip
    failed = steps[2]
    assert failed["execution"]["error"]["type"] == "ValueError"
    assert failed["output"] == {"error": failed["execution"]["error"]}
    assert failed["toolCalls"][0]["status"] == "error"


def test_a_handler_inside_a_workflow_adds_its_steps_to_it(model: OpenAIChat) -> None:
    handler = CerkitCallbackHandler(store=False)
    with ck.workflow("outer") as wf:
        with ck.recording("app:prepare", inputs={"q": "tides"}, store=False) as rec:
            rec.output = "tides"
        linear_graph(model).invoke({"question": rec.output, "facts": []}, {"callbacks": [handler]})
    assert handler.bundle is None  # the workflow owns the run
    assert wf.bundle is not None and wf.bundle["totalSteps"] == 8
    assert verify_project_bundle(wf.bundle).ok
    assert {s["snapshot"]["workflowId"] for s in wf.steps} == {"outer"}
