"""Drift over real provider-call records: the official clients against the stand-in, whose
alias, fingerprint, defaults and answers change between calls."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openai
import pytest
from llm_fixtures import API_KEY, Records

from cerkit.drift.attribution import Verdict, explain
from cerkit.integrations import flush
from cerkit.integrations import openai as cerkit_openai
from cerkit.integrations.standin import StandIn
from cerkit.ledger import close_shared_stores

CERKIT = str(Path(sys.executable).parent / "cerkit")
ASK = [
    {"role": "system", "content": "Answer in one word."},
    {"role": "user", "content": "Capital?"},
]


@pytest.fixture
def client(standin: StandIn, records: Records) -> Any:
    client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
    handle = cerkit_openai.instrument(client, store=False, hooks=[records])
    yield client
    handle.uninstrument()


def _pair(records: Records) -> tuple[dict[str, Any], dict[str, Any]]:
    flush()
    assert len(records) == 2
    return records[0], records[1]


def test_a_re_pointed_alias_is_drift_explained_by_the_served_model_first(
    client: Any, standin: StandIn, records: Records
) -> None:
    client.chat.completions.create(model="gpt-4o", messages=ASK)
    standin.repoint("gpt-4o", "gpt-4o-2024-11-20")
    client.chat.completions.create(model="gpt-4o", messages=ASK)
    explanation = explain(*_pair(records))
    assert explanation.verdict is Verdict.DRIFT_EXPLAINED
    top = explanation.causes[0]
    assert top.category == "model" and top.subject == "gpt-4o"
    assert "the served model changed" in " ".join(top.evidence)
    assert "gpt-4o-2024-11-20" in " ".join(top.evidence)


def test_a_new_system_fingerprint_alone_explains_a_changed_answer(
    client: Any, standin: StandIn, records: Records
) -> None:
    standin.settings.answer = "Paris."
    client.chat.completions.create(model="gpt-4o", messages=ASK)
    standin.settings.fingerprint, standin.settings.answer = "fp_standin02", "Paris!"
    client.chat.completions.create(model="gpt-4o", messages=ASK)
    explanation = explain(*_pair(records))
    assert explanation.verdict is Verdict.DRIFT_EXPLAINED
    top = explanation.causes[0]
    assert top.category == "model"
    assert "system fingerprint changed" in top.evidence[0]


def test_a_changed_system_prompt_ranks_the_prompt_first(client: Any, records: Records) -> None:
    client.chat.completions.create(model="gpt-4o", messages=ASK)
    changed = [{"role": "system", "content": "Answer in two words."}, ASK[1]]
    client.chat.completions.create(model="gpt-4o", messages=changed)
    explanation = explain(*_pair(records))
    assert explanation.causes[0].category == "prompt"
    assert explanation.verdict is Verdict.EXPECTED_CHANGE  # another instruction: another request


def test_a_changed_server_default_ranks_the_parameter_default_first(
    client: Any, standin: StandIn, records: Records
) -> None:
    standin.settings.defaults, standin.settings.answer = {"temperature": 0.7}, "Paris."
    client.responses.create(model="gpt-4o", input="Capital?")
    standin.settings.defaults, standin.settings.answer = {"temperature": 1.0}, "It is Paris."
    client.responses.create(model="gpt-4o", input="Capital?")
    explanation = explain(*_pair(records))
    assert explanation.verdict is Verdict.DRIFT_EXPLAINED
    top = explanation.causes[0]
    assert (top.category, top.subject) == ("parameter-default", "temperature")
    assert "its default changed" in top.evidence[0]


def test_cerkit_drift_shows_which_served_models_answered_each_requested_model(
    standin: StandIn, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.db"
    client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
    handle = cerkit_openai.instrument(client, store=str(store))
    for served in ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "gpt-4o-2024-11-20"):
        standin.repoint("gpt-4o", served)
        client.chat.completions.create(model="gpt-4o", messages=ASK)
    handle.uninstrument()
    flush()
    close_shared_stores()
    report = tmp_path / "drift.html"
    run = [CERKIT, "drift", "--store", str(store)]
    done = subprocess.run(
        [*run, "--html", str(report)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "served models, per requested model:" in done.stdout
    assert "openai gpt-4o: 2 served model/fingerprint spans, 1 change" in done.stdout
    lines = [line for line in done.stdout.splitlines() if "fingerprint fp_standin01" in line]
    assert [line.split()[3] for line in lines] == ["gpt-4o-2024-08-06", "gpt-4o-2024-11-20"]
    assert "DRIFT_EXPLAINED" in done.stdout
    page = report.read_text()
    assert "Served models, per requested model" in page and "gpt-4o-2024-11-20" in page
    done = subprocess.run([*run, "--json"], capture_output=True, text=True, timeout=120)
    (history,) = json.loads(done.stdout)["servedModels"]
    assert [s["count"] for s in history["spans"]] == [2, 1]
