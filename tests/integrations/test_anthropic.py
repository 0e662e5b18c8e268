"""The Anthropic integration, with the official ``anthropic`` client over real HTTP against
the local stand-in: every call one record, verified by cerkit and by NexArt's ``verifyCer``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest
from llm_fixtures import API_KEY, Records

from cerkit.integrations import anthropic as cerkit_anthropic
from cerkit.integrations import flush
from cerkit.integrations.standin import StandIn

MODEL, SERVED = "claude-sonnet-4-5", "claude-sonnet-4-5-20250929"
ASK = [{"role": "user", "content": "hello there"}]
TOOLS = [
    {
        "name": "get_weather",
        "description": "Weather in a city",
        "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
]


@pytest.fixture
def client(standin: StandIn) -> anthropic.Anthropic:
    standin.repoint(MODEL, SERVED)
    return anthropic.Anthropic(base_url=standin.anthropic_url, api_key=API_KEY, max_retries=0)


@pytest.fixture
def recorded(client: anthropic.Anthropic, records: Records) -> Iterator[Records]:
    handle = cerkit_anthropic.instrument(client, store=False, hooks=[records])
    yield records
    handle.uninstrument()


def sealed(records: Records, count: int = 1) -> list[dict[str, Any]]:
    flush()
    assert len(records) == count
    return [r["snapshot"] for r in records]


def test_a_message_records_system_prompt_served_model_stop_reason_cache_usage_and_request_id(
    client: anthropic.Anthropic, recorded: Records, verified: Any
) -> None:
    message = client.messages.create(
        model=MODEL,
        max_tokens=64,
        system="Answer briefly.",
        messages=ASK,
        extra_body={"temperature": 0.3},
    )
    (snap,) = sealed(recorded)
    assert (snap["provider"], snap["model"], snap["modelVersion"]) == ("anthropic", MODEL, SERVED)
    assert snap["prompt"] == "Answer briefly." and snap["input"] == {"messages": ASK}
    assert snap["output"] == {"role": "assistant", "content": message.content[0].text}  # type: ignore[union-attr]
    assert snap["parameters"] == {"temperature": 0.3, "maxTokens": 64, "topP": None, "seed": None}
    assert snap["finishReason"] == "end_turn"
    assert snap["usage"]["cache_read_input_tokens"] == message.usage.cache_read_input_tokens
    assert "cache_creation_input_tokens" in snap["usage"]
    request_id = snap["modelIdentity"]["requestId"]
    assert request_id == message._request_id and request_id.startswith("req_011C")
    assert snap["effectiveParameters"]["service_tier"] == "standard"  # the server's answer
    assert snap["parameterSources"]["stop_sequences"] == "default"
    assert snap["parameterSources"]["temperature"] == "passed"
    assert API_KEY not in json.dumps(snap)
    verified(list(recorded))


def test_streams_and_the_stream_helper_are_recorded_once_with_tool_use(
    client: anthropic.Anthropic, recorded: Records, verified: Any
) -> None:
    events = list(client.messages.create(model=MODEL, max_tokens=64, messages=ASK, stream=True))
    with client.messages.stream(model=MODEL, max_tokens=64, messages=ASK, tools=TOOLS) as stream:
        final = stream.get_final_message()
    plain, helper = sealed(recorded, 2)
    assert plain["execution"]["stream"] == {"state": "complete", "chunks": len(events)}
    assert plain["output"]["content"].endswith("hello there")
    assert helper["execution"]["api"] == "anthropic.messages.stream"
    use = final.content[0]
    assert helper["output"]["toolCalls"] == [
        {"id": use.id, "type": "tool_use", "name": "get_weather", "input": use.input}  # type: ignore[union-attr]
    ]
    assert helper["toolCalls"][0]["name"] == "get_weather" and helper["finishReason"] == "tool_use"
    assert helper["effectiveParameters"]["tool_choice"] == {"type": "auto"}
    assert 0 < helper["execution"]["ttftMs"] <= helper["execution"]["durationMs"]
    verified(list(recorded))


def test_a_dropped_stream_and_a_provider_error_are_recorded_and_reraised(
    client: anthropic.Anthropic, standin: StandIn, recorded: Records, verified: Any
) -> None:
    standin.settings.drop_after = 3
    with pytest.raises(Exception) as cut:  # the SDK lets the transport's own error through
        list(client.messages.create(model=MODEL, max_tokens=64, messages=ASK, stream=True))
    standin.settings.drop_after = None
    standin.settings.errors = [{"status": 529, "type": "overloaded_error", "message": "busy"}]
    with pytest.raises(anthropic.APIStatusError) as caught:
        client.messages.create(model=MODEL, max_tokens=64, messages=ASK)
    dropped, failed = sealed(recorded, 2)
    assert dropped["execution"]["stream"]["state"] == "interrupted"
    assert dropped["execution"]["status"] == "error"
    kind = type(cut.value)
    assert dropped["execution"]["error"]["type"] == f"{kind.__module__}.{kind.__qualname__}"
    error = failed["execution"]["error"]
    assert (error["statusCode"], error["errorType"]) == (529, "overloaded_error")
    assert error["requestId"] == caught.value.request_id
    verified(list(recorded))


def test_async_messages_and_streams_and_every_client_instrumentation(
    standin: StandIn, records: Records, verified: Any
) -> None:
    handle = cerkit_anthropic.instrument(store=False, hooks=[records])

    async def main() -> None:
        client = anthropic.AsyncAnthropic(
            base_url=standin.anthropic_url, api_key=API_KEY, max_retries=0
        )
        await client.messages.create(model=MODEL, max_tokens=64, messages=ASK)
        async with client.messages.stream(model=MODEL, max_tokens=64, messages=ASK) as stream:
            async for _ in stream:
                pass
        await client.close()

    try:
        asyncio.run(main())
    finally:
        handle.uninstrument()
    create, stream = sealed(records, 2)
    assert create["execution"]["status"] == "ok"
    assert stream["execution"]["stream"]["state"] == "complete"
    assert stream["output"]["content"].endswith("hello there")
    verified(list(records))
