"""The bodies and stream events of the local stand-in (:mod:`cerkit.integrations.standin`).

Pure builders: a request body and the stand-in's settings in, the JSON an OpenAI- or
Anthropic-compatible server would answer out, in the shapes the official SDKs parse.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

Body = Mapping[str, Any]


def example(schema: Any) -> Any:
    """A value that conforms to a (simple) JSON schema: what a structured output returns."""
    if not isinstance(schema, Mapping):
        return "x"
    kind = schema.get("type")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: example(sub) for name, sub in props.items()}
    if kind == "array":
        return [example(schema.get("items"))]
    return {"integer": 1, "number": 1.5, "boolean": True, "null": None}.get(str(kind), "x")


def words(text: str) -> int:
    return len(text.split())


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, Mapping))
    return ""


def last_user_text(body: Body) -> str:
    """The text the caller asked about: the last user message or input item."""
    items = body.get("messages") or body.get("input") or []
    if isinstance(items, str):
        return items
    for item in reversed(items):
        if isinstance(item, Mapping) and item.get("role") == "user":
            return _text(item.get("content"))
    return ""


def prompt_words(body: Body) -> int:
    items = body.get("messages") or body.get("input") or []
    if isinstance(items, str):
        return words(items)
    total = sum(words(_text(i.get("content"))) for i in items if isinstance(i, Mapping))
    system = body.get("system") or body.get("instructions") or ""
    return total + words(_text(system))


def wants_tool(body: Body) -> Mapping[str, Any] | None:
    """The tool to call: the first one, unless the conversation already holds a result."""
    tools = body.get("tools") or []
    if not tools or body.get("tool_choice") == "none":
        return None
    for item in body.get("messages") or body.get("input") or []:
        if not isinstance(item, Mapping):
            continue
        content = item.get("content")
        if item.get("role") == "tool" or item.get("type") == "function_call_output":
            return None
        if isinstance(content, list) and any(
            isinstance(p, Mapping) and p.get("type") == "tool_result" for p in content
        ):
            return None
    tool = tools[0]
    return tool.get("function", tool) if isinstance(tool, Mapping) else None


def tool_schema(tool: Mapping[str, Any]) -> Any:
    return tool.get("parameters") or tool.get("input_schema") or {}


def chat_completion(body: Body, served: str, fingerprint: str, answer: str, n: int) -> Any:
    """A ``chat.completion`` object."""
    tool = wants_tool(body)
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":  # structured outputs
        answer = json.dumps(example((fmt.get("json_schema") or {}).get("schema")))
    message: dict[str, Any] = {"role": "assistant", "content": answer, "refusal": None}
    finish = "stop"
    if tool is not None:
        arguments = json.dumps(example(tool_schema(tool)))
        message["content"] = None
        message["tool_calls"] = [
            {"id": f"call_{n:08d}Ab", "type": "function",
             "function": {"name": tool["name"], "arguments": arguments}}
        ]  # fmt: skip
        finish = "tool_calls"
    elif _limit(body) is not None and words(answer) > _limit(body):  # type: ignore[operator]
        message["content"] = " ".join(answer.split()[: _limit(body)])
        finish = "length"
    completion = words(message["content"] or "")
    return {
        "id": f"chatcmpl-standin{n}",
        "object": "chat.completion",
        "created": 1_767_225_600 + n,
        "model": served,
        "system_fingerprint": fingerprint,
        "service_tier": "default",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": _chat_usage(prompt_words(body), completion),
    }


def _limit(body: Body) -> int | None:
    value = body.get("max_completion_tokens") or body.get("max_tokens")
    return value if isinstance(value, int) else None


def _chat_usage(prompt: int, completion: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
    }


def chat_chunks(body: Body, served: str, fingerprint: str, answer: str, n: int) -> Iterator[str]:
    """The ``data:`` lines of a streamed chat completion, ``[DONE]`` last."""
    full = chat_completion(body, served, fingerprint, answer, n)
    message = full["choices"][0]["message"]
    head = {k: full[k] for k in ("id", "created", "model", "system_fingerprint", "service_tier")}
    head["object"] = "chat.completion.chunk"

    def chunk(delta: Any, finish: Any = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return json.dumps({**head, "choices": [choice]})

    yield chunk({"role": "assistant", "content": ""})
    if message.get("tool_calls"):
        call = message["tool_calls"][0]
        first = {"index": 0, "id": call["id"], "type": "function",
                 "function": {"name": call["function"]["name"], "arguments": ""}}  # fmt: skip
        yield chunk({"tool_calls": [first]})
        yield chunk({"tool_calls": [{"index": 0, "function": call["function"] | {"name": None}}]})
    else:
        # Each distinct piece is encoded once: a long stream of repeated words (the
        # benchmark's) costs the server a dictionary look-up per chunk, not a json.dumps.
        encoded: dict[str, str] = {}
        pieces = (message["content"] or "").split(" ")
        for i, piece in enumerate(pieces):
            text = piece if i == 0 else " " + piece
            line = encoded.get(text)
            if line is None:
                line = encoded[text] = chunk({"content": text})
            yield line
    yield chunk({}, full["choices"][0]["finish_reason"])
    if (body.get("stream_options") or {}).get("include_usage"):
        yield json.dumps({**head, "choices": [], "usage": full["usage"]})
    yield "[DONE]"


def response_object(
    body: Body, served: str, answer: str, n: int, defaults: Mapping[str, Any]
) -> dict[str, Any]:
    """A Responses API ``response`` object; unset parameters echo the server's defaults."""
    tool = wants_tool(body)
    fmt = ((body.get("text") or {}).get("format")) or {"type": "text"}
    if fmt.get("type") == "json_schema":
        answer = json.dumps(example(fmt.get("schema")))
    if tool is not None:
        item: dict[str, Any] = {
            "type": "function_call", "id": f"fc_{n:08d}", "call_id": f"call_{n:08d}Ab",
            "name": tool["name"], "arguments": json.dumps(example(tool_schema(tool))),
            "status": "completed",
        }  # fmt: skip
    else:
        item = {
            "type": "message", "id": f"msg_{n:08d}", "status": "completed", "role": "assistant",
            "content": [{"type": "output_text", "text": answer, "annotations": []}],
        }  # fmt: skip
    prompt, completion = prompt_words(body), words(answer)

    def echo(name: str, fallback: Any) -> Any:
        return body.get(name, defaults.get(name, fallback))

    return {
        "id": f"resp_{n:08d}", "object": "response", "created_at": 1_767_225_600 + n,
        "status": "completed", "model": served, "output": [item], "error": None,
        "incomplete_details": None, "instructions": body.get("instructions"),
        "metadata": {}, "parallel_tool_calls": echo("parallel_tool_calls", True),
        "temperature": echo("temperature", 1.0), "top_p": echo("top_p", 1.0),
        "max_output_tokens": body.get("max_output_tokens"),
        "tool_choice": echo("tool_choice", "auto"), "tools": body.get("tools", []),
        "text": {"format": fmt}, "truncation": "disabled",
        "service_tier": "default",
        "usage": {
            "input_tokens": prompt, "output_tokens": completion,
            "total_tokens": prompt + completion,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }  # fmt: skip


def response_events(
    body: Body, served: str, answer: str, n: int, defaults: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    """``(event, data)`` of a streamed response, ``response.completed`` last."""
    final = response_object(body, served, answer, n, defaults)
    start = {**final, "status": "in_progress", "output": [], "usage": None}
    item = final["output"][0]
    seq = iter(range(1_000_000))

    def event(kind: str, **fields: Any) -> tuple[str, str]:
        return kind, json.dumps({"type": kind, "sequence_number": next(seq), **fields})

    yield event("response.created", response=start)
    if item["type"] == "message":
        text = item["content"][0]["text"]
        empty = {**item, "status": "in_progress", "content": []}
        yield event("response.output_item.added", output_index=0, item=empty)
        part = {"type": "output_text", "text": "", "annotations": []}
        ids = {"item_id": item["id"], "output_index": 0, "content_index": 0}
        yield event("response.content_part.added", part=part, **ids)
        for i, piece in enumerate(text.split(" ")):
            yield event("response.output_text.delta", delta=piece if i == 0 else " " + piece,
                        logprobs=[], **ids)  # fmt: skip
        yield event("response.output_text.done", text=text, logprobs=[], **ids)
        yield event("response.content_part.done", part={**part, "text": text}, **ids)
    else:
        yield event("response.output_item.added", output_index=0, item=item)
    yield event("response.output_item.done", output_index=0, item=item)
    yield event("response.completed", response=final)


def anthropic_message(body: Body, served: str, answer: str, n: int) -> dict[str, Any]:
    """An Anthropic ``message`` object."""
    tool = wants_tool(body)
    stop = "end_turn"
    if tool is not None:
        content: list[dict[str, Any]] = [
            {"type": "tool_use", "id": f"toolu_{n:08d}Ab", "name": tool["name"],
             "input": example(tool_schema(tool))}
        ]  # fmt: skip
        stop = "tool_use"
    else:
        limit = body.get("max_tokens")
        if isinstance(limit, int) and words(answer) > limit:
            answer, stop = " ".join(answer.split()[:limit]), "max_tokens"
        content = [{"type": "text", "text": answer}]
    return {
        "id": f"msg_{n:08d}StandIn", "type": "message", "role": "assistant", "model": served,
        "content": content, "stop_reason": stop, "stop_sequence": None,
        "usage": {
            "input_tokens": prompt_words(body), "output_tokens": words(answer),
            "cache_creation_input_tokens": 0, "cache_read_input_tokens": prompt_words(body) // 2,
            "service_tier": "standard",
        },
    }  # fmt: skip


def anthropic_events(body: Body, served: str, answer: str, n: int) -> Iterator[tuple[str, str]]:
    """``(event, data)`` of a streamed Anthropic message, ``message_stop`` last."""
    full = anthropic_message(body, served, answer, n)
    usage = dict(full["usage"], output_tokens=1)
    start = {**full, "content": [], "stop_reason": None, "usage": usage}

    def event(kind: str, **fields: Any) -> tuple[str, str]:
        return kind, json.dumps({"type": kind, **fields})

    yield event("message_start", message=start)
    block = full["content"][0]
    if block["type"] == "text":
        yield event("content_block_start", index=0, content_block={"type": "text", "text": ""})
        for i, piece in enumerate(block["text"].split(" ")):
            delta = {"type": "text_delta", "text": piece if i == 0 else " " + piece}
            yield event("content_block_delta", index=0, delta=delta)
    else:
        yield event("content_block_start", index=0, content_block={**block, "input": {}})
        delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield event("content_block_delta", index=0, delta=delta)
    yield event("content_block_stop", index=0)
    stop = {"stop_reason": full["stop_reason"], "stop_sequence": None}
    yield event(
        "message_delta", delta=stop, usage={"output_tokens": full["usage"]["output_tokens"]}
    )
    yield event("message_stop")
