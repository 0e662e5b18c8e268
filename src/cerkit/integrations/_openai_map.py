"""How OpenAI calls map onto a record: Chat Completions and Responses (docs/integrations.md).

Pure functions from the call's keyword arguments and the SDK's answer (models, stream
chunks or stream events) to :class:`~cerkit.integrations.base.Request` and
:class:`~cerkit.integrations.base.Response`. The defaults are the ones the OpenAI API
reference documents for each endpoint; each is listed with its source in
docs/integrations.md.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from cerkit.integrations._sdk import (
    endpoint,
    framework,
    given,
    plain,
    request_id,
    text_of,
    tools_summary,
)
from cerkit.integrations.base import Request, Response, nexart_parameters, resolve, tool_call

#: Chat Completions defaults (API reference, "Create chat completion").
CHAT_DEFAULTS: Final[Mapping[str, Any]] = {
    "temperature": 1,
    "top_p": 1,
    "n": 1,
    "presence_penalty": 0,
    "frequency_penalty": 0,
    "max_completion_tokens": None,
    "seed": None,
    "stop": None,
    "logprobs": False,
    "response_format": {"type": "text"},
    "service_tier": "auto",
    "store": False,
    "stream": False,
}
#: Responses defaults (API reference, "Create a model response").
RESPONSES_DEFAULTS: Final[Mapping[str, Any]] = {
    "temperature": 1,
    "top_p": 1,
    "max_output_tokens": None,
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "truncation": "disabled",
    "text": {"format": {"type": "text"}},
    "service_tier": "auto",
    "store": True,
    "stream": False,
}
_CHAT_NEXART: Final = {"temperature": "temperature", "topP": "top_p", "seed": "seed"}
_RESPONSES_NEXART: Final = {
    "temperature": "temperature",
    "topP": "top_p",
    "maxTokens": "max_output_tokens",
}
#: Response fields that echo a parameter the server applied (Responses API).
_RESPONSES_ECHO: Final[tuple[str, ...]] = (
    "temperature",
    "top_p",
    "max_output_tokens",
    "parallel_tool_calls",
    "tool_choice",
    "truncation",
    "service_tier",
    "text",
    "reasoning",
    "top_logprobs",
)
_INSTRUCTION_ROLES: Final[frozenset[str]] = frozenset(("system", "developer"))


def _identity(client: Any, api: str) -> dict[str, Any]:
    return {
        "provider": "openai",
        "api": api,
        "endpoint": endpoint(client),
        "framework": framework("openai"),
    }


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, Mapping) else getattr(message, "role", None)


def _content(message: Any) -> Any:
    if isinstance(message, Mapping):
        return message.get("content")
    return getattr(message, "content", None)


def _split_instructions(messages: Sequence[Any]) -> tuple[list[str], list[Any]]:
    instructions, rest = [], []
    for message in messages:
        if _role(message) in _INSTRUCTION_ROLES:
            instructions.append(text_of(_content(message)))
        else:
            rest.append(message)
    return instructions, rest


def _shaping(passed: dict[str, Any], format_key: str) -> dict[str, Any]:
    """The passed arguments as recorded parameters: tools summarized, a pydantic response
    format (``parse``) by its JSON schema."""
    shaped = dict(passed)
    if "tools" in shaped:
        shaped["tools"] = tools_summary(shaped["tools"])
    if isinstance(shaped.get(format_key), type):
        shaped[format_key] = schema_format(shaped[format_key])
    return {name: plain(value) for name, value in shaped.items()}


def schema_format(model: type) -> dict[str, Any]:
    """A pydantic class given as a structured-output format, as the JSON schema it sends."""
    schema = getattr(model, "model_json_schema", None)
    return {
        "type": "json_schema",
        "name": model.__name__,
        "schema": schema() if callable(schema) else None,
    }


def chat_request(api: str, kwargs: Mapping[str, Any], client: Any) -> Request:
    """A Chat Completions call (``create``, ``parse``, the ``stream`` helper)."""
    passed = given(kwargs)
    model = str(passed.pop("model", "unknown"))
    instructions, messages = _split_instructions(list(passed.pop("messages", [])))
    if "max_tokens" in passed and "max_completion_tokens" not in passed:
        passed["max_completion_tokens"] = passed.pop("max_tokens")  # the deprecated alias
    defaults = dict(CHAT_DEFAULTS)
    if passed.get("tools"):
        defaults |= {"tool_choice": "auto", "parallel_tool_calls": True}
    shaped = _shaping(passed, "response_format")
    effective, sources = resolve(shaped, defaults)
    names = {**_CHAT_NEXART, "maxTokens": "max_completion_tokens"}
    parameters = nexart_parameters(effective, names, shaped)
    return Request(
        api=api,
        requested_model=model,
        prompt="\n\n".join(instructions),
        input={"messages": plain(messages)},
        parameters=parameters,
        effective=effective,
        sources=sources,
        identity=_identity(client, "chat.completions"),
        stream=passed.get("stream") is True,
    )


def _chat_message(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"role": getattr(message, "role", "assistant")}
    out["content"] = getattr(message, "content", None)
    for name in ("refusal", "audio"):
        value = getattr(message, name, None)
        if value is not None:
            out[name] = plain(value)
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        out["toolCalls"] = [_tool_json(call) for call in calls]
    parsed = getattr(message, "parsed", None)
    if parsed is not None:
        out["parsed"] = plain(parsed)
    return out


def _tool_json(call: Any) -> dict[str, Any]:
    function = getattr(call, "function", None)
    return {
        "id": getattr(call, "id", None),
        "type": getattr(call, "type", "function"),
        "name": getattr(function, "name", None),
        "arguments": getattr(function, "arguments", None),
    }


def _requested_tools(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        tool_call(str(call["name"]), call["arguments"] or "", call["id"])
        for message in messages
        for call in message.get("toolCalls", [])
    ]


def _chat_output(messages: list[dict[str, Any]]) -> Any:
    if len(messages) == 1:
        return messages[0]
    return {"choices": messages}


def chat_response(request: Request, result: Any) -> Response:
    """A ``ChatCompletion`` (or ``ParsedChatCompletion``, or a raw response to parse)."""
    if hasattr(result, "parse") and hasattr(result, "http_response"):
        result = result.parse()  # with_raw_response: the body is already read
    choices = list(getattr(result, "choices", []) or [])
    messages = [_chat_message(choice.message) for choice in choices]
    reasons = [choice.finish_reason for choice in choices]
    usage = getattr(result, "usage", None)
    return Response(
        output=_chat_output(messages),
        served_model=getattr(result, "model", None),
        identity={
            "providerFingerprint": getattr(result, "system_fingerprint", None),
            "requestId": request_id(result),
            "responseId": getattr(result, "id", None),
        },
        echoed={"service_tier": getattr(result, "service_tier", None)},
        tool_calls=_requested_tools(messages),
        usage=plain(usage) if usage is not None else None,
        finish_reason=reasons[0] if len(reasons) == 1 else ",".join(map(str, reasons)) or None,
    )


class ChatFold:
    """Reads a Chat Completions stream as it passes (see ``StreamFold``)."""

    __slots__ = ("count", "last", "reasons", "texts", "tools", "usage")

    def __init__(self) -> None:
        self.count = 0
        self.last: Any = None
        self.usage: Any = None
        self.texts: dict[int, list[str]] = {}
        self.tools: list[tuple[int, Any]] = []  # (choice index, tool-call deltas): rare
        self.reasons: dict[int, str] = {}

    def add(self, chunk: Any) -> None:
        self.count += 1
        self.last = chunk
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            if delta is not None:
                if delta.content:
                    self.texts.setdefault(choice.index, []).append(delta.content)
                if delta.tool_calls:
                    self.tools.append((choice.index, delta.tool_calls))
            if choice.finish_reason:
                self.reasons[choice.index] = choice.finish_reason


def _streamed_tools(fold: ChatFold) -> dict[int, dict[int, dict[str, Any]]]:
    tools: dict[int, dict[int, dict[str, Any]]] = {}
    for index, calls in fold.tools:
        for call in calls:
            slot = tools.setdefault(index, {}).setdefault(
                call.index, {"id": None, "type": "function", "name": None, "arguments": ""}
            )
            slot["id"] = call.id or slot["id"]
            if call.function is not None:
                slot["name"] = call.function.name or slot["name"]
                slot["arguments"] += call.function.arguments or ""
    return tools


def chat_stream(request: Request, fold: ChatFold, result: Any) -> Response:
    """Assemble a Chat Completions stream: content and tool-call deltas per choice."""
    texts, reasons, last = fold.texts, fold.reasons, fold.last
    tools = _streamed_tools(fold)
    indexes = sorted(set(texts) | set(tools) | set(reasons)) or [0]
    messages = []
    for index in indexes:
        message: dict[str, Any] = {"role": "assistant", "content": "".join(texts.get(index, []))}
        if index in tools:
            message["toolCalls"] = [tools[index][i] for i in sorted(tools[index])]
        messages.append(message)
    finish = [reasons.get(i) for i in indexes]
    return Response(
        output=_chat_output(messages),
        served_model=getattr(last, "model", None),
        identity={
            "providerFingerprint": getattr(last, "system_fingerprint", None),
            "requestId": request_id(result),
            "responseId": getattr(last, "id", None),
        },
        echoed={"service_tier": getattr(last, "service_tier", None)},
        tool_calls=_requested_tools(messages),
        usage=plain(fold.usage) if fold.usage is not None else None,
        finish_reason=",".join(str(r) for r in finish) if all(finish) else None,
        complete=bool(reasons) and all(finish),
    )


def responses_request(api: str, kwargs: Mapping[str, Any], client: Any) -> Request:
    """A Responses call (``create``, ``parse``, the ``stream`` helper)."""
    passed = given(kwargs)
    model = str(passed.pop("model", "unknown"))
    items = passed.pop("input", None)
    instructions = [passed.pop("instructions")] if passed.get("instructions") else []
    if isinstance(items, list | tuple):
        found, items = _split_instructions(list(items))
        instructions.extend(found)
    if "text_format" in passed:  # responses.parse(text_format=Model)
        fmt = passed.pop("text_format")
        passed["text"] = {"format": schema_format(fmt) if isinstance(fmt, type) else fmt}
    shaped = _shaping(passed, "text")
    effective, sources = resolve(shaped, RESPONSES_DEFAULTS)
    return Request(
        api=api,
        requested_model=model,
        prompt="\n\n".join(str(i) for i in instructions),
        input={"input": plain(items)},
        parameters=nexart_parameters(effective, _RESPONSES_NEXART, shaped),
        effective=effective,
        sources=sources,
        identity=_identity(client, "responses"),
        stream=passed.get("stream") is True,
    )


def responses_response(request: Request, result: Any) -> Response:
    """A ``Response`` object (or ``ParsedResponse``, or a raw response to parse)."""
    if hasattr(result, "parse") and hasattr(result, "http_response"):
        result = result.parse()
    calls = []
    for item in getattr(result, "output", None) or []:
        if getattr(item, "type", None) == "function_call":
            calls.append(
                {"id": item.call_id, "type": "function", "name": item.name,
                 "arguments": item.arguments}
            )  # fmt: skip
    output: dict[str, Any] = {"text": getattr(result, "output_text", "")}
    if calls:
        output["toolCalls"] = calls
    parsed = getattr(result, "output_parsed", None)
    if parsed is not None:
        output["parsed"] = plain(parsed)
    status = getattr(result, "status", None)
    incomplete = getattr(result, "incomplete_details", None)
    usage = getattr(result, "usage", None)
    echoed = {name: plain(getattr(result, name, None)) for name in _RESPONSES_ECHO}
    return Response(
        output=output,
        served_model=getattr(result, "model", None),
        identity={"requestId": request_id(result), "responseId": getattr(result, "id", None)},
        echoed=echoed,
        tool_calls=_requested_tools([output]),
        usage=plain(usage) if usage is not None else None,
        finish_reason=getattr(incomplete, "reason", None) or status,
    )


_FINAL_EVENTS: Final = frozenset(("response.completed", "response.incomplete", "response.failed"))


class EventFold:
    """Reads a Responses stream as it passes: text deltas as strings, other events kept
    (there are a handful per response)."""

    __slots__ = ("count", "events", "texts")

    def __init__(self) -> None:
        self.count = 0
        self.events: list[Any] = []
        self.texts: list[str] = []

    def add(self, event: Any) -> None:
        self.count += 1
        if event.type == "response.output_text.delta":
            self.texts.append(event.delta)
        else:
            self.events.append(event)


def responses_stream(request: Request, fold: EventFold, result: Any) -> Response:
    """A Responses stream: the final event carries the whole response; without it the text
    deltas are what arrived."""
    started: Any = None
    for event in reversed(fold.events):
        kind = getattr(event, "type", None)
        if kind in _FINAL_EVENTS:
            response = responses_response(request, event.response)
            response.identity["requestId"] = request_id(result)
            return response
        if kind == "response.created":
            started = event.response
    return Response(
        output={"text": "".join(fold.texts)},
        served_model=getattr(started, "model", None),
        identity={"requestId": request_id(result), "responseId": getattr(started, "id", None)},
        complete=False,
    )


__all__ = [
    "CHAT_DEFAULTS",
    "RESPONSES_DEFAULTS",
    "ChatFold",
    "EventFold",
    "chat_request",
    "chat_response",
    "chat_stream",
    "responses_request",
    "responses_response",
    "responses_stream",
]
