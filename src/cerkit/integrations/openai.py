"""OpenAI: every ``chat.completions`` and ``responses`` call of the official ``openai``
client becomes one sealed CER (``pip install 'cerkit[openai]'``).

>>> import openai, cerkit.integrations.openai                       # doctest: +SKIP
>>> client = openai.OpenAI()                                          # doctest: +SKIP
>>> recording = cerkit.integrations.openai.instrument(client)         # doctest: +SKIP

``instrument(client)`` records one client object (and the clients its ``with_options`` and
``copy`` return); ``instrument()`` with no client records every client in the process, sync
and async. Covered: ``chat.completions.create`` and ``.parse`` (structured outputs),
``responses.create`` and ``.parse``, with ``stream=True`` and through the streaming helpers
(``chat.completions.stream``, ``responses.stream``, which call ``create``), tool calls, and
``with_raw_response``. What each record holds, and where each field comes from, is in
docs/integrations.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cerkit.integrations._calls import Recorder, record_options
from cerkit.integrations._openai_map import (
    ChatFold,
    EventFold,
    chat_request,
    chat_response,
    chat_stream,
    responses_request,
    responses_response,
    responses_stream,
)
from cerkit.integrations._patch import Instrumentation
from cerkit.integrations._sdk import error_facts
from cerkit.integrations.base import Request, Response

PROVIDER: Final[str] = "openai"
#: (resource path on a client, method, api name) for every recorded method.
METHODS: Final[tuple[tuple[str, str, str], ...]] = (
    ("chat.completions", "create", "openai.chat.completions.create"),
    ("chat.completions", "parse", "openai.chat.completions.parse"),
    ("responses", "create", "openai.responses.create"),
    ("responses", "parse", "openai.responses.parse"),
)


class OpenAIIntegration:
    """The OpenAI :class:`~cerkit.integrations.base.CallIntegration`."""

    provider = PROVIDER

    def request(self, api: str, kwargs: Mapping[str, Any], client: Any) -> Request:
        if ".responses." in api:
            return responses_request(api, kwargs, client)
        return chat_request(api, kwargs, client)

    def response(self, request: Request, result: Any) -> Response:
        if ".responses." in request.api:
            return responses_response(request, result)
        return chat_response(request, result)

    def fold(self, api: str) -> ChatFold | EventFold:
        return EventFold() if ".responses." in api else ChatFold()

    def stream(self, request: Request, fold: Any, result: Any) -> Response:
        if isinstance(fold, EventFold):
            return responses_stream(request, fold, result)
        return chat_stream(request, fold, result)

    def error(self, exc: BaseException) -> dict[str, Any]:
        return error_facts(exc)


class OpenAIInstrumentation(Instrumentation):
    """The handle :func:`instrument` returns; ``client`` is the instrumented client (or
    ``None`` when every client is)."""

    client: Any = None


def _resource(client: Any, path: str) -> Any:
    for name in path.split("."):
        client = getattr(client, name)
    return client


def _resource_classes() -> list[tuple[type, str, str]]:
    from openai.resources.chat.completions import AsyncCompletions, Completions
    from openai.resources.responses import AsyncResponses, Responses

    owners = {
        "chat.completions": (Completions, AsyncCompletions),
        "responses": (Responses, AsyncResponses),
    }
    return [(owner, method, api) for path, method, api in METHODS for owner in owners[path]]


def instrument(client: Any = None, **options: Any) -> OpenAIInstrumentation:
    """Record every chat completion and response ``client`` makes (every client's, when
    ``client`` is ``None``).

    Args:
        client: an ``openai.OpenAI`` or ``openai.AsyncOpenAI`` (or Azure) client, or ``None``.
        **options: record options: ``store`` (URL, path, store object, ``None`` for the
            default store, ``False`` for none), ``hooks``, ``sign``, ``attest`` (as for
            ``cerkit.record``), ``background`` (seal off the caller's thread; default true).

    Returns:
        The handle: ``last_record``, ``flush()``, ``uninstrument()``.
    """
    recorder = Recorder(OpenAIIntegration(), record_options(**options))
    handle = OpenAIInstrumentation(recorder)
    if client is None:
        for owner, method, api in _resource_classes():
            handle.patch_class(owner, method, api)
        return handle
    handle.client = client

    def instrument_client(target: Any) -> None:
        for path, method, api in METHODS:
            resource = _resource(target, path)
            if hasattr(resource, method):
                handle.patch_object(resource, method, api, target)
        handle.on_copies(target, instrument_client)

    instrument_client(client)
    return handle


__all__ = ["METHODS", "PROVIDER", "OpenAIInstrumentation", "OpenAIIntegration", "instrument"]
