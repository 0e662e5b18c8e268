"""Helpers shared by the provider SDK integrations (OpenAI, Anthropic).

They read SDK objects into plain JSON: pydantic models by their fields, the SDKs' "not
given" sentinels dropped, the endpoint without credentials.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Final
from urllib.parse import urlsplit

from cerkit.capture.encode import encode
from cerkit.digest import hash_canonical

#: Arguments that configure the HTTP request, not the model: never recorded (headers may
#: carry credentials); ``extra_body`` is read as parameters.
TRANSPORT: Final[frozenset[str]] = frozenset(("extra_headers", "extra_query", "timeout"))
_SENTINELS: Final[frozenset[str]] = frozenset(("Omit", "NotGiven", "Omitted"))


def given(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """The arguments actually passed: sentinels (``omit``, ``NOT_GIVEN``) and transport
    settings dropped, ``extra_body`` merged in (it is sent as part of the request body)."""
    passed = {
        name: value
        for name, value in kwargs.items()
        if name not in TRANSPORT and type(value).__name__ not in _SENTINELS
    }
    extra = passed.pop("extra_body", None)
    if isinstance(extra, Mapping):
        passed.update(extra)
    return passed


def plain(value: Any) -> Any:
    """JSON for an SDK value: pydantic models as their JSON fields (unset ones left out),
    containers walked, anything else through cerkit's deterministic encoder."""
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return encode(value)
    if kind is dict or isinstance(value, Mapping):
        return {str(key): plain(item) for key, item in value.items()}
    if kind in (list, tuple):
        return [plain(item) for item in value]
    dump = getattr(value, "model_dump", None)
    if callable(dump) and not isinstance(value, type):
        return plain(dump(mode="json", exclude_unset=True))
    return encode(value)


def endpoint(client: Any) -> str | None:
    """``scheme://host[:port]/path`` of a client's base URL, without user or password."""
    base = getattr(client, "base_url", None)
    if base is None:
        return None
    parts = urlsplit(str(base))
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path.rstrip('/')}"


@functools.lru_cache(maxsize=16)
def framework(distribution: str) -> str:
    """``"openai 3.57.0"``: the SDK's name and version (read once: metadata lookups are slow)."""
    try:
        return f"{distribution} {version(distribution)}"
    except PackageNotFoundError:
        return f"{distribution} unknown"


def tools_summary(tools: Any) -> dict[str, Any]:
    """What a list of tool definitions contributes to ``effectiveParameters``: their names
    and a digest of the full definitions (a changed description or schema changes it)."""
    encoded = plain(list(tools))
    names = []
    for tool in encoded:
        if isinstance(tool, Mapping):
            function = tool.get("function")
            name = function.get("name") if isinstance(function, Mapping) else tool.get("name")
            names.append(name if isinstance(name, str) else tool.get("type"))
    return {"count": len(encoded), "names": names, "digest": hash_canonical(encoded)}


def request_id(result: Any) -> str | None:
    """The request id of an SDK answer: ``_request_id`` on parsed models, else the header
    (``x-request-id`` for OpenAI, ``request-id`` for Anthropic) of its HTTP response."""
    found = getattr(result, "_request_id", None)
    if isinstance(found, str):
        return found
    response = getattr(result, "response", None) or getattr(result, "http_response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get("x-request-id") or headers.get("request-id")
    return value if isinstance(value, str) else None


def text_of(content: Any) -> str:
    """The text of a message content: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        texts = []
        for part in content:
            text = part.get("text") if isinstance(part, Mapping) else getattr(part, "text", None)
            if isinstance(text, str):
                texts.append(text)
        return "\n".join(texts)
    return ""


def error_facts(exc: BaseException) -> dict[str, Any]:
    """``execution.error`` for an SDK exception: class, message, HTTP status, the provider's
    error type and code, and the request id the error response carried."""
    kind = type(exc)
    facts: dict[str, Any] = {"type": f"{kind.__module__}.{kind.__qualname__}", "message": str(exc)}
    for name, key in (
        ("status_code", "statusCode"),
        ("type", "errorType"),
        ("code", "code"),
        ("request_id", "requestId"),
    ):
        value = getattr(exc, name, None)
        if isinstance(value, str | int) and not isinstance(value, bool):
            facts[key] = value
    body = getattr(exc, "body", None)
    if "errorType" not in facts and isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping) and isinstance(inner.get("type"), str):
            facts["errorType"] = inner["type"]
    return facts


__all__ = [
    "endpoint",
    "error_facts",
    "framework",
    "given",
    "plain",
    "request_id",
    "text_of",
    "tools_summary",
]
