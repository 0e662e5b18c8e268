"""Reading a finished OpenTelemetry GenAI span (the ``gen_ai.*`` semantic conventions) as
``createSnapshot`` arguments. Pure: no I/O; the caller adds the environment and seals.

Content comes from the span attributes ``gen_ai.input.messages``, ``gen_ai.output.messages``
and ``gen_ai.system_instructions`` (JSON text, as ``opentelemetry-instrumentation-openai-v2``
writes them with content capture on), or from the older per-message span events
(``gen_ai.system.message``, ``gen_ai.user.message``, ``gen_ai.choice``...). A span without
captured content is recorded with what it has: ``output`` then says so."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any, Final

from cerkit.integrations.base import NO_PROMPT, nexart_parameters

#: ``gen_ai.operation.name`` or ``gen_ai.request.model`` makes a span a GenAI span.
GEN_AI_KEYS: Final[tuple[str, ...]] = ("gen_ai.operation.name", "gen_ai.request.model")
#: The attribute a span of a call cerkit recorded itself carries.
CERTIFICATE_ATTRIBUTE: Final[str] = "cer.certificate_hash"
_REQUEST: Final[str] = "gen_ai.request."
_NAMES: Final[dict[str, str]] = {
    "temperature": "temperature",
    "maxTokens": "max_tokens",
    "topP": "top_p",
    "seed": "seed",
}


def is_gen_ai(attributes: Mapping[str, Any]) -> bool:
    return any(key in attributes for key in GEN_AI_KEYS)


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _text(message: Any) -> str:
    if not isinstance(message, Mapping):
        return str(message)
    parts = message.get("parts")
    if isinstance(parts, list):
        return "".join(str(p.get("content", "")) for p in parts if isinstance(p, Mapping))
    return str(message.get("content", ""))


def _from_events(events: Any) -> tuple[list[Any], list[Any]]:
    inputs, outputs = [], []
    for event in events or ():
        name = str(getattr(event, "name", ""))
        attributes = dict(getattr(event, "attributes", None) or {})
        body = {k: _json(v) for k, v in attributes.items() if k != "gen_ai.system"}
        if name == "gen_ai.choice":
            outputs.append(body)
        elif name.startswith("gen_ai.") and name.endswith(".message"):
            inputs.append({"role": name[len("gen_ai.") : -len(".message")], **body})
    return inputs, outputs


def _content(
    attributes: Mapping[str, Any], events: Any
) -> tuple[str, list[Any] | None, list[Any] | None]:
    """``(prompt, input messages, output messages)``; ``None`` when not captured."""
    inputs = _json(attributes.get("gen_ai.input.messages"))
    outputs = _json(attributes.get("gen_ai.output.messages"))
    if inputs is None and outputs is None:
        events_in, events_out = _from_events(events)
        inputs, outputs = events_in or None, events_out or None
    system = _json(attributes.get("gen_ai.system_instructions"))
    instructions = [_text(part) for part in system] if isinstance(system, list) else []
    if isinstance(inputs, list):
        instructions += [_text(m) for m in inputs if _role(m) in ("system", "developer")]
        inputs = [m for m in inputs if _role(m) not in ("system", "developer")]
    prompt = "\n\n".join(t for t in instructions if t)
    return prompt, inputs, outputs


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, Mapping) else None


def span_args(
    name: str,
    attributes: Mapping[str, Any],
    events: Any,
    timing: Mapping[str, Any],
    status: Mapping[str, Any],
) -> dict[str, Any]:
    """``createSnapshot`` arguments of one GenAI span.

    Args:
        name: the span name (``chat gpt-4o``).
        attributes: its attributes.
        events: its events (for content captured as events).
        timing: ``startedAt``, ``endedAt`` (ISO) and ``durationMs``.
        status: ``status`` (``ok``/``error``), ``error`` and ``trace`` (trace and span ids).
    """
    get = attributes.get
    prompt, inputs, outputs = _content(attributes, events)
    effective = {
        key[len(_REQUEST) :]: _plain(value)
        for key, value in attributes.items()
        if key.startswith(_REQUEST) and key != "gen_ai.request.model"
    }
    provider = str(get("gen_ai.provider.name") or get("gen_ai.system") or "opentelemetry")
    requested = str(get("gen_ai.request.model") or "unknown")
    served = get("gen_ai.response.model")
    finish = _plain(get("gen_ai.response.finish_reasons")) or []
    usage = {
        k: get(f"gen_ai.usage.{k}")
        for k in ("input_tokens", "output_tokens")
        if get(f"gen_ai.usage.{k}") is not None
    }
    output: Any = outputs
    if output is None:
        output = {"contentCaptured": False, "finishReasons": finish}
    if status.get("status") == "error" and outputs is None:
        output = {"error": status.get("error")}
    return {
        "provider": provider,
        "model": requested,
        "modelVersion": str(served) if served else None,
        "prompt": prompt or NO_PROMPT,
        "input": inputs if inputs is not None else {"contentCaptured": False},
        "output": output,
        "parameters": nexart_parameters(effective, _NAMES, effective),
        "effectiveParameters": effective,
        "modelIdentity": _identity(attributes, provider, requested),
        "usage": usage or None,
        "finishReason": finish[0] if finish else None,
        "execution": {
            "kind": "llm",
            "api": f"otel:{get('gen_ai.operation.name') or name}",
            **timing,
            **status,
        },
        "toolCalls": [],
    }


def _identity(attributes: Mapping[str, Any], provider: str, requested: str) -> dict[str, Any]:
    get = attributes.get
    identity = {
        "provider": provider,
        "requestedModel": requested,
        "servedModel": get("gen_ai.response.model"),
        "providerFingerprint": get("openai.response.system_fingerprint"),
        "requestId": get("gen_ai.response.id"),
        "serviceTier": get("openai.response.service_tier"),
        "source": "opentelemetry",
    }
    return {k: v for k, v in identity.items() if v is not None}


def current_gen_ai_span() -> Any:
    """The current OpenTelemetry span when it is a recording GenAI span, else ``None``.
    Costs nothing when OpenTelemetry was never imported."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None:
        return None
    span = trace.get_current_span()
    attributes = getattr(span, "attributes", None)
    if not span.is_recording() or not attributes or not is_gen_ai(attributes):
        return None
    return span


def mark_current_span(span: Any, bundle: dict[str, Any]) -> None:
    """Put a record's certificate hash on the span of its call (``cer.certificate_hash``)."""
    span.set_attribute(CERTIFICATE_ATTRIBUTE, bundle["certificateHash"])


__all__ = [
    "CERTIFICATE_ATTRIBUTE",
    "GEN_AI_KEYS",
    "current_gen_ai_span",
    "is_gen_ai",
    "mark_current_span",
    "span_args",
]
