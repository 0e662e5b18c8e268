"""Anthropic: every ``messages`` call of the official ``anthropic`` client becomes one
sealed CER (``pip install 'cerkit[anthropic]'``).

>>> import anthropic, cerkit.integrations.anthropic                  # doctest: +SKIP
>>> client = anthropic.Anthropic()                                   # doctest: +SKIP
>>> recording = cerkit.integrations.anthropic.instrument(client)     # doctest: +SKIP

Covered: ``messages.create`` (also ``stream=True`` and ``with_raw_response``),
``messages.parse`` and the ``messages.stream`` helper, sync and async, tool use. ``system``
is the prompt; ``stop_reason``, usage with cache tokens and the ``request-id`` header are
recorded. Fields and their sources: docs/integrations.md §4.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Final

from cerkit.integrations._anthropic_map import (
    MessageFold,
    messages_request,
    messages_response,
    messages_stream,
)
from cerkit.integrations._calls import Recorder, record_options
from cerkit.integrations._patch import Instrumentation, is_async
from cerkit.integrations._sdk import error_facts
from cerkit.integrations.base import Request, Response

PROVIDER: Final[str] = "anthropic"
_CREATE: Final = (("create", "anthropic.messages.create"), ("parse", "anthropic.messages.parse"))
_STREAM_API: Final = "anthropic.messages.stream"


class AnthropicIntegration:
    """The Anthropic :class:`~cerkit.integrations.base.CallIntegration`."""

    provider = PROVIDER

    def request(self, api: str, kwargs: Mapping[str, Any], client: Any) -> Request:
        return messages_request(api, kwargs, client)

    def response(self, request: Request, result: Any) -> Response:
        return messages_response(request, result)

    def fold(self, api: str) -> MessageFold:
        return MessageFold()

    def stream(self, request: Request, fold: Any, result: Any) -> Response:
        return messages_stream(request, fold, result)

    def error(self, exc: BaseException) -> dict[str, Any]:
        return error_facts(exc)


class AnthropicInstrumentation(Instrumentation):
    """The handle :func:`instrument` returns."""

    client: Any = None


def _recording_stream(original: Any, recorder: Recorder, client_of: Any) -> Any:
    """``messages.stream`` returns a manager that sends the request when entered: record
    the request it sends, with the arguments ``stream`` was given."""

    @functools.wraps(original)
    def stream(*args: Any, **kwargs: Any) -> Any:
        manager = original(*args, **kwargs)
        client = client_of(args)
        recorded = {**kwargs, "stream": True}
        attr = f"_{type(manager).__name__}__api_request"
        request = getattr(manager, attr)
        if is_async(original) or type(manager).__name__.startswith("Async"):

            async def fetch() -> Any:
                return await request

            setattr(manager, attr, recorder.acall(_STREAM_API, fetch, (), {}, client, recorded))
        else:
            setattr(
                manager,
                attr,
                lambda: recorder.call(_STREAM_API, request, (), {}, client, recorded),
            )
        return manager

    return stream


def _message_classes() -> list[type]:
    from anthropic.resources.messages import AsyncMessages, Messages

    return [Messages, AsyncMessages]


def instrument(client: Any = None, **options: Any) -> AnthropicInstrumentation:
    """Record every message ``client`` creates (every client's, when ``client`` is ``None``).

    Args:
        client: an ``anthropic.Anthropic`` or ``anthropic.AsyncAnthropic``, or ``None``.
        **options: record options, as for :func:`cerkit.integrations.openai.instrument`.

    Returns:
        The handle: ``last_record``, ``flush()``, ``uninstrument()``.
    """
    recorder = Recorder(AnthropicIntegration(), record_options(**options))
    handle = AnthropicInstrumentation(recorder)
    if client is None:
        for owner in _message_classes():
            for method, api in _CREATE:
                handle.patch_class(owner, method, api)
            original = owner.__dict__["stream"]
            replacement = _recording_stream(
                original, recorder, lambda args: getattr(args[0], "_client", None)
            )
            handle.replace(owner, "stream", replacement)
        return handle
    handle.client = client

    def instrument_client(target: Any) -> None:
        messages = target.messages
        for method, api in _CREATE:
            if hasattr(messages, method):
                handle.patch_object(messages, method, api, target)
        stream = _recording_stream(messages.stream, recorder, lambda args: target)
        handle.replace(messages, "stream", stream)
        handle.on_copies(target, instrument_client)

    instrument_client(client)
    return handle


__all__ = ["PROVIDER", "AnthropicInstrumentation", "AnthropicIntegration", "instrument"]
