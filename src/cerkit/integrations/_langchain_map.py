"""Reading LangChain objects (messages, LLM results, invocation parameters) as JSON, and a
chat model call as a :class:`~cerkit.integrations.base.Request` and
:class:`~cerkit.integrations.base.Response` (so its record has the fields of every other
provider call, docs/integrations.md §2). Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cerkit.capture.encode import EncodeOptions, encode
from cerkit.integrations.base import (
    PASSED,
    Request,
    Response,
    distribution_version,
    nexart_parameters,
    tool_call,
)

_OPTIONS: Final[EncodeOptions] = EncodeOptions()
#: NexArt's parameter names and the invocation parameter names chat models use.
_NAMES: Final[dict[str, str]] = {
    "temperature": "temperature",
    "maxTokens": "max_tokens",
    "topP": "top_p",
    "seed": "seed",
}
#: Invocation parameters that describe the model object, not the request.
_NOT_PARAMETERS: Final[frozenset[str]] = frozenset(
    ("_type", "model", "model_name", "stream", "stop", "ls_structured_output_format")
)


def message(value: Any) -> dict[str, Any]:
    """A chat message as ``{"role", "content", ...}`` (tool calls and ids when present)."""
    out: dict[str, Any] = {"role": getattr(value, "type", "?"), "content": to_json(value.content)}
    calls = getattr(value, "tool_calls", None)
    if calls:
        out["toolCalls"] = to_json(calls)
    call_id = getattr(value, "tool_call_id", None)
    if call_id:
        out["toolCallId"] = call_id
    name = getattr(value, "name", None)
    if name:
        out["name"] = name
    return out


def to_json(value: Any) -> Any:
    """Deterministic JSON of a LangChain value: messages by role and content, documents by
    content and metadata, anything else by cerkit's encoder."""
    kind = type(value)
    if kind is str or kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        return {str(k): to_json(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [to_json(v) for v in value]
    if hasattr(value, "content") and hasattr(value, "type") and hasattr(value, "response_metadata"):
        return message(value)
    if hasattr(value, "page_content") and hasattr(value, "metadata"):
        return {"pageContent": value.page_content, "metadata": to_json(value.metadata)}
    return encode(value, _OPTIONS)


def chat_request(
    serialized: Mapping[str, Any] | None,
    messages: list[Any],
    invocation: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> Request:
    """A chat model call from ``on_chat_model_start`` (or ``on_llm_start``, prompts as
    human messages)."""
    model = str(
        metadata.get("ls_model_name")
        or invocation.get("model")
        or invocation.get("model_name")
        or _serialized_name(serialized)
    )
    instructions = [m for m in messages if getattr(m, "type", None) == "system"]
    prompt = "\n\n".join(str(m.content) for m in instructions)
    conversation = [message(m) for m in messages if getattr(m, "type", None) != "system"]
    passed = {k: to_json(v) for k, v in invocation.items() if k not in _NOT_PARAMETERS}
    effective = dict(passed)
    identity: dict[str, Any] = {
        "provider": str(metadata.get("ls_provider") or invocation.get("_type") or "langchain"),
        "framework": "langchain-core " + distribution_version("langchain-core"),
        "modelClass": _serialized_name(serialized),
    }
    return Request(
        api="langchain.chat_model",
        requested_model=model,
        prompt=prompt,
        input=conversation,
        parameters=nexart_parameters(effective, _NAMES, passed),
        effective=effective,
        sources=dict.fromkeys(effective, PASSED),
        identity=identity,
    )


def _serialized_name(serialized: Mapping[str, Any] | None) -> str:
    if not serialized:
        return "unknown"
    ids = serialized.get("id")
    if isinstance(ids, list) and ids:
        return ".".join(str(i) for i in ids)
    return str(serialized.get("name") or "unknown")


def chat_response(result: Any) -> Response:
    """The answer of a chat model from ``on_llm_end`` (an ``LLMResult``)."""
    generations = [g for batch in result.generations for g in batch]
    first = generations[0] if generations else None
    msg = getattr(first, "message", None)
    meta: Mapping[str, Any] = getattr(msg, "response_metadata", None) or {}
    llm_output: Mapping[str, Any] = result.llm_output or {}
    if msg is not None:
        output: Any = message(msg)
    else:
        output = [getattr(g, "text", None) for g in generations]
    calls = [
        tool_call(str(c.get("name")), to_json(c.get("args")), c.get("id"))
        for c in (getattr(msg, "tool_calls", None) or [])
    ]
    usage = getattr(msg, "usage_metadata", None) or llm_output.get("token_usage")
    served = meta.get("model_name") or llm_output.get("model_name")
    fingerprint = meta.get("system_fingerprint") or llm_output.get("system_fingerprint")
    return Response(
        output=output,
        served_model=str(served) if served else None,
        identity={"providerFingerprint": fingerprint, "requestId": meta.get("id")},
        tool_calls=calls,
        usage=to_json(dict(usage)) if usage else None,
        finish_reason=meta.get("finish_reason"),
    )


def error_of(exc: BaseException) -> dict[str, Any]:
    """``execution.error`` of an exception raised in a step."""
    from cerkit.capture.builder import type_name
    from cerkit.capture.secrets import scrub

    return {"type": type_name(exc), "message": scrub(str(exc))[:500]}


__all__ = ["chat_request", "chat_response", "error_of", "message", "to_json"]
