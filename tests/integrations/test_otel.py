"""The OpenTelemetry span processor fed by the real ``opentelemetry-sdk`` and
``opentelemetry-instrumentation-openai-v2`` (content capture on) around the official
``openai`` client against the local stand-in; records verify with cerkit and NexArt."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from llm_fixtures import API_KEY, Records
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from cerkit.integrations import flush
from cerkit.integrations import openai as cerkit_openai
from cerkit.integrations.otel import CerkitSpanProcessor
from cerkit.integrations.standin import StandIn

ASK = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "tides?"}]


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, CerkitSpanProcessor, Records]]:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental")
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    records = Records()
    processor = CerkitSpanProcessor(store=False, hooks=[records])
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(processor)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider, logger_provider=LoggerProvider())
    yield exporter, processor, records
    instrumentor.uninstrument()


def test_a_gen_ai_span_becomes_a_verified_record(
    standin: StandIn, traced: Any, verified: Any
) -> None:
    exporter, processor, records = traced
    client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
    reply = client.chat.completions.create(model="gpt-4o", messages=ASK, temperature=0.3, seed=4)
    (span,) = exporter.get_finished_spans()
    assert processor.recorded == 1 and len(records) == 1
    verified(records)
    snapshot = records[0]["snapshot"]
    assert snapshot["provider"] == "openai" and snapshot["model"] == "gpt-4o"
    assert snapshot["modelVersion"] == reply.model == "gpt-4o-2024-08-06"
    assert snapshot["prompt"] == "Be brief."
    assert snapshot["input"] == [{"role": "user", "parts": [{"content": "tides?", "type": "text"}]}]
    assert snapshot["output"][0]["parts"][0]["content"] == reply.choices[0].message.content
    assert snapshot["parameters"]["temperature"] == 0.3 and snapshot["parameters"]["seed"] == 4
    identity = snapshot["modelIdentity"]
    assert identity["providerFingerprint"] == reply.system_fingerprint
    assert identity["requestId"] == reply.id
    assert snapshot["usage"] == {"input_tokens": 3, "output_tokens": 3}
    trace = snapshot["execution"]["trace"]
    assert trace["traceId"] == f"{span.context.trace_id:032x}"
    assert trace["spanId"] == f"{span.context.span_id:016x}"
    assert API_KEY not in str(span.attributes)


def test_a_call_cerkit_recorded_itself_marks_its_span_and_is_not_recorded_twice(
    standin: StandIn, traced: Any, verified: Any
) -> None:
    exporter, processor, records = traced
    # cerkit's class-level recorder inside the OpenTelemetry wrapper: re-instrument so the
    # instrumentation wraps cerkit's recorder and its span is current while cerkit seals.
    OpenAIInstrumentor().uninstrument()
    ours = Records()
    handle = cerkit_openai.instrument(store=False, hooks=[ours])
    provider = TracerProvider()
    provider.add_span_processor(processor)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    OpenAIInstrumentor().instrument(tracer_provider=provider, logger_provider=LoggerProvider())
    try:
        client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
        client.chat.completions.create(model="gpt-4o", messages=ASK)
        flush()
    finally:
        OpenAIInstrumentor().uninstrument()
        handle.uninstrument()
    (span,) = exporter.get_finished_spans()
    verified(ours)
    assert span.attributes["cer.certificate_hash"] == ours[0]["certificateHash"]
    assert processor.linked == 1 and processor.recorded == 0 and not records


def test_a_failed_call_is_recorded_as_an_error(
    standin: StandIn, traced: Any, verified: Any
) -> None:
    _exporter, _processor, records = traced
    client = openai.OpenAI(base_url=standin.openai_url, api_key=API_KEY, max_retries=0)
    standin.settings.errors = [{"status": 429, "type": "rate_limit_error", "code": "rate"}]
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o", messages=ASK)
    assert len(records) == 1
    verified(records)
    execution = records[0]["snapshot"]["execution"]
    assert execution["status"] == "error" and execution["error"]["type"]


def test_spans_that_are_not_gen_ai_are_ignored(traced: Any) -> None:
    _exporter, processor, records = traced
    provider = TracerProvider()
    provider.add_span_processor(processor)
    with provider.get_tracer("app").start_as_current_span("handle request"):
        pass
    assert processor.recorded == 0 and not records
