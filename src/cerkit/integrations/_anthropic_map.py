"""How Anthropic ``messages`` calls map onto a record (docs/integrations.md §4).

Pure functions from the call's keyword arguments and the SDK's ``Message`` or stream events
to :class:`~cerkit.integrations.base.Request` and :class:`~cerkit.integrations.base.Response`.
"""

from __future__ import annotations

import json
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

#: Defaults of "Create a Message" (Anthropic API reference). ``anthropic`` 2.x no longer
#: takes ``temperature`` as an argument; it can still be sent through ``extra_body``, and
#: otherwise the documented default (1.0) applies.
MESSAGES_DEFAULTS: Final[Mapping[str, Any]] = {
    "temperature": 1.0,
    "stop_sequences": None,
    "service_tier": "auto",
    "thinking": {"type": "disabled"},
    "stream": False,
}
_NEXART: Final = {"temperature": "temperature", "topP": "top_p", "maxTokens": "max_tokens"}


def messages_request(api: str, kwargs: Mapping[str, Any], client: Any) -> Request:
    """A ``messages.create`` / ``messages.stream`` / ``messages.parse`` call."""
    passed = given(kwargs)
    model = str(passed.pop("model", "unknown"))
    messages = passed.pop("messages", [])
    system = passed.pop("system", None)
    defaults = dict(MESSAGES_DEFAULTS)
    if passed.get("tools"):
        defaults["tool_choice"] = {"type": "auto"}
        passed["tools"] = tools_summary(passed["tools"])
    shaped = {k: plain(v) for k, v in passed.items()}
    effective, sources = resolve(shaped, defaults)
    return Request(
        api=api,
        requested_model=model,
        prompt=text_of(system) if system is not None else "",
        input={"messages": plain(list(messages))},
        parameters=nexart_parameters(effective, _NEXART, shaped),
        effective=effective,
        sources=sources,
        identity={
            "provider": "anthropic",
            "api": "messages",
            "endpoint": endpoint(client),
            "framework": framework("anthropic"),
        },
        stream=passed.get("stream") is True,
    )


def _output(blocks: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    texts = [b.get("text", "") for b in blocks if b.get("type") == "text"]
    out: dict[str, Any] = {"role": "assistant", "content": "".join(texts)}
    thinking = [b.get("thinking", "") for b in blocks if b.get("type") == "thinking"]
    if thinking:
        out["thinking"] = "".join(thinking)
    calls = [
        {"id": b.get("id"), "type": b.get("type"), "name": b.get("name"), "input": b.get("input")}
        for b in blocks
        if b.get("type") in ("tool_use", "server_tool_use")
    ]
    if calls:
        out["toolCalls"] = calls
    return out


def _tool_calls(output: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        tool_call(str(c["name"]), plain(c["input"]), c["id"]) for c in output.get("toolCalls", [])
    ]


def messages_response(request: Request, result: Any) -> Response:
    """A ``Message`` (or ``ParsedMessage``, or a raw response to parse)."""
    if hasattr(result, "parse") and hasattr(result, "http_response"):
        result = result.parse()
    blocks = [plain(block) for block in getattr(result, "content", None) or []]
    output = _output(blocks)
    parsed = getattr(result, "parsed_output", None)
    if parsed is not None:
        output["parsed"] = plain(parsed)
    usage = plain(getattr(result, "usage", None))
    return Response(
        output=output,
        served_model=getattr(result, "model", None),
        identity={"requestId": request_id(result), "responseId": getattr(result, "id", None)},
        echoed={"service_tier": usage.get("service_tier") if isinstance(usage, dict) else None},
        tool_calls=_tool_calls(output),
        usage=usage if isinstance(usage, dict) else None,
        finish_reason=getattr(result, "stop_reason", None),
    )


#: Delta kinds whose text is kept as strings: (delta type, attribute, block field).
_DELTAS: Final = {
    "text_delta": ("text", "text"),
    "thinking_delta": ("thinking", "thinking"),
    "input_json_delta": ("partial_json", "input"),
}


class MessageFold:
    """Reads an Anthropic message stream as it passes: delta text kept as strings per
    content block, the few other events kept as they are."""

    __slots__ = ("count", "events", "pieces")

    def __init__(self) -> None:
        self.count = 0
        self.events: list[Any] = []
        self.pieces: dict[tuple[int, str], list[str]] = {}

    def add(self, event: Any) -> None:
        self.count += 1
        if event.type == "content_block_delta":
            found = _DELTAS.get(event.delta.type)
            if found is not None:
                key = (event.index, found[1])
                self.pieces.setdefault(key, []).append(getattr(event.delta, found[0]))
                return
        self.events.append(event)


def messages_stream(request: Request, fold: MessageFold, result: Any) -> Response:
    """Assemble a message from its stream; complete once ``message_stop`` arrived."""
    message: dict[str, Any] = {}
    blocks: dict[int, dict[str, Any]] = {}
    usage: dict[str, Any] = {}
    stop_reason, complete = None, False
    for event in fold.events:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            message = plain(event.message)
            usage.update(message.get("usage") or {})
        elif kind == "content_block_start":
            blocks[event.index] = plain(event.content_block)
        elif kind == "message_delta":
            stop_reason = getattr(event.delta, "stop_reason", None) or stop_reason
            usage.update({k: v for k, v in plain(event.usage).items() if v is not None})
        elif kind == "message_stop":
            complete = True
    for (index, field), pieces in fold.pieces.items():
        block = blocks.setdefault(index, {})
        text = "".join(pieces)
        if field != "input":
            block[field] = block.get(field, "") + text
            continue
        try:
            block["input"] = json.loads(text) if text else {}
        except ValueError:  # cut short mid-JSON: keep what arrived
            block["input"] = {"$partialJson": text}
    output = _output([blocks[i] for i in sorted(blocks)])
    return Response(
        output=output,
        served_model=message.get("model"),
        identity={"requestId": request_id(result), "responseId": message.get("id")},
        echoed={"service_tier": usage.get("service_tier")},
        tool_calls=_tool_calls(output),
        usage=usage or None,
        finish_reason=stop_reason,
        complete=complete,
    )


__all__ = [
    "MESSAGES_DEFAULTS",
    "MessageFold",
    "messages_request",
    "messages_response",
    "messages_stream",
]
