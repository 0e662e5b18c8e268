"""The OpenAI integration, with the official ``openai`` client over real HTTP against the
local stand-in: every call one record, verified by cerkit and by NexArt's ``verifyCer``."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pydantic
import pytest
from llm_fixtures import API_KEY, Records

from cerkit.integrations import flush
from cerkit.integrations import openai as cerkit_openai
from cerkit.integrations.standin import StandIn
from cerkit.ledger import close_shared_stores

CERKIT = str(Path(sys.executable).parent / "cerkit")
ASK = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "hi there"}]
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Weather in a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


@pytest.fixture
def client(standin: StandIn) -> openai.OpenAI:
    return openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)


@pytest.fixture
def recorded(client: openai.OpenAI, records: Records) -> Iterator[Records]:
    handle = cerkit_openai.instrument(client, store=False, hooks=[records])
    yield records
    handle.uninstrument()


def sealed(records: Records, count: int = 1) -> list[dict[str, Any]]:
    flush()
    assert len(records) == count, [r["snapshot"]["execution"] for r in records]
    return [r["snapshot"] for r in records]


def test_a_chat_completion_records_requested_and_served_model_fingerprint_and_request_id(
    client: openai.OpenAI, recorded: Records, verified: Any
) -> None:
    answer = client.chat.completions.create(model="gpt-4o", messages=ASK, temperature=0.2)
    (snap,) = sealed(recorded)
    assert (snap["provider"], snap["model"], snap["modelVersion"]) == (
        "openai", "gpt-4o", "gpt-4o-2024-08-06",
    )  # fmt: skip
    identity = snap["modelIdentity"]
    assert identity["servedModel"] == "gpt-4o-2024-08-06"
    assert identity["providerFingerprint"] == "fp_standin01"
    assert identity["requestId"] == answer._request_id and identity["requestId"].startswith("req_")
    assert identity["endpoint"] == client.base_url.__str__().rstrip("/")
    assert snap["prompt"] == "Answer briefly."
    assert snap["input"] == {"messages": [{"role": "user", "content": "hi there"}]}
    assert snap["output"] == {"role": "assistant", "content": answer.choices[0].message.content}
    assert snap["parameters"] == {"temperature": 0.2, "maxTokens": 0, "topP": 1, "seed": None}
    assert snap["effectiveParameters"]["service_tier"] == "default"  # the server's echo wins
    assert snap["parameterSources"]["service_tier"] == "server"
    assert snap["parameterSources"]["top_p"] == "default"
    assert snap["usage"]["prompt_tokens_details"] == {"cached_tokens": 0, "audio_tokens": 0}
    assert snap["finishReason"] == "stop"
    assert snap["execution"]["status"] == "ok" and snap["execution"]["durationMs"] > 0
    verified(list(recorded))


def test_the_servers_applied_default_wins_over_the_documented_one(
    client: openai.OpenAI, standin: StandIn, recorded: Records, verified: Any
) -> None:
    standin.settings.defaults = {"temperature": 0.7}
    client.responses.create(model="gpt-4o", input="hello", instructions="Be terse.")
    (snap,) = sealed(recorded)
    assert snap["parameters"]["temperature"] == 1  # the documented default, as requested
    assert snap["effectiveParameters"]["temperature"] == 0.7
    assert snap["parameterSources"]["temperature"] == "server"
    assert snap["prompt"] == "Be terse." and snap["input"] == {"input": "hello"}
    assert snap["output"]["text"].endswith("hello")
    verified(list(recorded))


def test_a_stream_is_recorded_once_when_complete_with_time_to_first_token(
    client: openai.OpenAI, standin: StandIn, recorded: Records, verified: Any
) -> None:
    standin.settings.answer = " ".join(f"w{i}" for i in range(50))
    stream = client.chat.completions.create(
        model="gpt-4o", messages=ASK, stream=True, stream_options={"include_usage": True}
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    (snap,) = sealed(recorded)
    assert snap["output"]["content"] == text == standin.settings.answer
    assert snap["execution"]["stream"] == {"state": "complete", "chunks": 53}
    assert 0 < snap["execution"]["ttftMs"] <= snap["execution"]["durationMs"]
    assert snap["usage"]["completion_tokens"] == 50 and snap["finishReason"] == "stop"
    assert snap["modelIdentity"]["requestId"].startswith("req_")
    verified(list(recorded))


def test_the_streaming_helpers_are_recorded_once_each(
    client: openai.OpenAI, recorded: Records, verified: Any
) -> None:
    with client.chat.completions.stream(model="gpt-4o", messages=ASK) as stream:
        final = stream.get_final_completion()
    with client.responses.stream(model="gpt-4o", input="streamed") as events:
        response = events.get_final_response()
    chat, responses = sealed(recorded, 2)
    assert chat["output"]["content"] == final.choices[0].message.content
    assert chat["execution"]["stream"]["state"] == "complete"
    assert responses["output"]["text"] == response.output_text
    assert responses["execution"]["stream"]["state"] == "complete"
    assert responses["modelVersion"] == "gpt-4o-2024-08-06"
    verified(list(recorded))


def test_an_abandoned_stream_says_so(
    client: openai.OpenAI, standin: StandIn, recorded: Records, verified: Any
) -> None:
    standin.settings.answer = "one two three four five six"
    stream = client.chat.completions.create(model="gpt-4o", messages=ASK, stream=True)
    for index, _ in enumerate(stream):
        if index == 2:
            break
    stream.close()
    (snap,) = sealed(recorded)
    assert snap["execution"]["stream"] == {"state": "abandoned", "chunks": 3}
    assert snap["execution"]["status"] == "incomplete"
    assert snap["output"]["content"] == "one two"
    verified(list(recorded))


def test_a_dropped_stream_is_recorded_as_interrupted_and_the_error_reraised(
    client: openai.OpenAI, standin: StandIn, recorded: Records, verified: Any
) -> None:
    standin.settings.answer = "one two three four five six"
    standin.settings.drop_after = 3
    stream = client.chat.completions.create(model="gpt-4o", messages=ASK, stream=True)
    seen = []
    with pytest.raises(openai.APIConnectionError):
        seen.extend(stream)
    (snap,) = sealed(recorded)
    assert snap["execution"]["stream"]["state"] == "interrupted"
    assert snap["execution"]["status"] == "error"
    assert snap["execution"]["error"]["type"] == "openai.APIConnectionError"
    assert snap["output"]["content"] == "one two"  # what arrived before the drop
    verified(list(recorded))


def test_a_provider_error_is_recorded_and_reraised_unchanged(
    client: openai.OpenAI, standin: StandIn, recorded: Records, verified: Any
) -> None:
    standin.settings.errors = [{"status": 429, "type": "rate_limit_error", "code": "rate"}]
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=ASK)
    (snap,) = sealed(recorded)
    error = snap["execution"]["error"]
    assert snap["execution"]["status"] == "error"
    assert (error["statusCode"], error["errorType"], error["code"]) == (
        429,
        "rate_limit_error",
        "rate",
    )
    assert error["requestId"] == caught.value.request_id
    assert snap["output"] == {"error": error} and snap["modelVersion"] is None
    verified(list(recorded))


def test_tool_calls_are_recorded_as_structured_data(
    client: openai.OpenAI, recorded: Records, verified: Any
) -> None:
    answer = client.chat.completions.create(model="gpt-4o", messages=ASK, tools=TOOLS)
    call = answer.choices[0].message.tool_calls[0]  # type: ignore[index]
    (snap,) = sealed(recorded)
    assert snap["output"]["toolCalls"] == [
        {"id": call.id, "type": "function", "name": "get_weather",
         "arguments": call.function.arguments}  # type: ignore[union-attr]
    ]  # fmt: skip
    assert snap["toolCalls"][0]["name"] == "get_weather"
    assert snap["toolCalls"][0]["status"] == "requested" and snap["toolCalls"][0]["id"] == call.id
    tools = snap["effectiveParameters"]["tools"]
    assert tools["names"] == ["get_weather"] and tools["digest"].startswith("sha256:")
    assert snap["effectiveParameters"]["tool_choice"] == "auto"
    assert snap["finishReason"] == "tool_calls"
    verified(list(recorded))


class Weather(pydantic.BaseModel):
    city: str
    degrees: int


def test_structured_outputs_record_the_schema_and_the_parsed_answer(
    client: openai.OpenAI, recorded: Records, verified: Any
) -> None:
    parsed = client.chat.completions.parse(model="gpt-4o", messages=ASK, response_format=Weather)
    (snap,) = sealed(recorded)
    assert parsed.choices[0].message.parsed == Weather(city="x", degrees=1)
    assert snap["output"]["parsed"] == {"city": "x", "degrees": 1}
    fmt = snap["effectiveParameters"]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["name"] == "Weather"
    assert snap["execution"]["api"] == "openai.chat.completions.parse"
    verified(list(recorded))


def test_async_calls_and_streams_are_recorded(
    standin: StandIn, records: Records, verified: Any
) -> None:
    async def main() -> str:
        client = openai.AsyncOpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
        cerkit_openai.instrument(client, store=False, hooks=[records])
        await client.chat.completions.create(model="gpt-4o", messages=ASK)
        stream = await client.chat.completions.create(model="gpt-4o", messages=ASK, stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream])
        await client.responses.create(model="gpt-4o", input="async")
        await client.close()
        return text

    text = asyncio.run(main())
    create, stream, response = sealed(records, 3)
    assert create["execution"]["status"] == "ok" and "stream" not in create["execution"]
    assert stream["output"]["content"] == text
    assert stream["execution"]["stream"]["state"] == "complete"
    assert response["execution"]["api"] == "openai.responses.create"
    verified(list(records))


def test_instrument_without_a_client_records_every_client_until_uninstrumented(
    standin: StandIn, records: Records, verified: Any
) -> None:
    handle = cerkit_openai.instrument(store=False, hooks=[records])
    try:
        for _ in range(2):
            client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
            client.chat.completions.create(model="gpt-4o", messages=ASK)
        # a client instrumented on its own as well still makes one record per call
        cerkit_openai.instrument(client, store=False, hooks=[records])
        client.with_options(timeout=5).chat.completions.create(model="gpt-4o", messages=ASK)
    finally:
        handle.uninstrument()
    sealed(records, 3)
    openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY).chat.completions.create(
        model="gpt-4o", messages=ASK
    )
    sealed(records, 3)
    verified(list(records))


def test_no_credential_reaches_a_record_but_ids_and_token_counts_do(
    client: openai.OpenAI, standin: StandIn, recorded: Records, verified: Any
) -> None:
    client.chat.completions.create(
        model="gpt-4o",
        messages=ASK,
        extra_headers={"Authorization": f"Bearer {API_KEY}", "X-Api-Key": API_KEY},
        user="someone",
    )
    (snap,) = sealed(recorded)
    headers = {k.lower(): v for k, v in standin.requests[-1]["headers"].items()}
    assert headers["authorization"] == f"Bearer {API_KEY}"  # the SDK did send it
    text = json.dumps(snap)
    assert API_KEY not in text and "Authorization" not in text
    assert snap["modelIdentity"]["requestId"].startswith("req_")
    assert snap["usage"]["prompt_tokens_details"]["cached_tokens"] == 0
    verified(list(recorded))


def test_raw_responses_and_a_conversation_mutated_after_the_call(
    client: openai.OpenAI, recorded: Records, verified: Any
) -> None:
    messages = list(ASK)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o", messages=messages)
    messages.append({"role": "assistant", "content": raw.parse().choices[0].message.content})
    (snap,) = sealed(recorded)
    assert snap["input"] == {"messages": [ASK[1]]}
    assert snap["modelIdentity"]["requestId"] == raw.headers["x-request-id"]
    assert snap["output"]["content"].endswith("hi there")
    verified(list(recorded))


def test_records_go_to_the_store_and_verify_with_the_cli(
    client: openai.OpenAI, tmp_path: Path
) -> None:
    store = tmp_path / "ledger.db"
    handle = cerkit_openai.instrument(client, store=str(store))
    client.chat.completions.create(model="gpt-4o", messages=ASK)
    client.responses.create(model="gpt-4o", input="hello")
    handle.flush()
    close_shared_stores()
    export = tmp_path / "records.jsonl"
    done = subprocess.run(
        [CERKIT, "records", "export", "--store", str(store), "--model", "gpt-4o",
         "-o", str(export)], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(export.read_text().splitlines()) == 2
    done = subprocess.run(
        [CERKIT, "verify", str(export)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("VERIFIED") == 2
