"""The one interface every integration implements (docs/integrations.md).

An integration knows one framework. It comes in one of two shapes:

* a **call integration** (:class:`CallIntegration`: OpenAI, Anthropic, transformers'
  ``generate``) maps one framework call onto the snapshot of one record, in three pure steps:
  :meth:`~CallIntegration.request` reads the call's arguments into a :class:`Request`
  (requested model, prompt, input, NexArt's ``parameters`` and the ``effectiveParameters``
  with the provider's documented defaults resolved), :meth:`~CallIntegration.response`
  reads the framework's answer into a :class:`Response` (served model, provider fingerprint,
  request id, output, tool calls, usage, finish reason, parameters the server says it applied)
  and :meth:`~CallIntegration.stream` does the same from a stream, read as it passed by a
  :class:`StreamFold` (:meth:`~CallIntegration.fold`);
  :func:`snapshot_args` then merges the two into ``createSnapshot`` arguments.
* a **model family** (:class:`ModelFamily`: numpy, pandas, torch, scikit-learn, pydantic,
  transformers) encodes the values of its library deterministically and identifies its models
  (``modelIdentity``). Families never import the encoder: they receive it as a callback, so the
  encoder can use them without an import circle.

This module is pure: no I/O, no clock, no import of the recorder. The machinery that times a
call, wraps streams and seals off the caller's thread is :mod:`cerkit.integrations._calls`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from cerkit.digest import hash_payload

#: NexArt requires a non-empty ``prompt``: a call that carries no system or developer
#: instructions records this literal instead (docs/integrations.md).
NO_PROMPT: Final[str] = "(no instructions)"

#: How a value in ``effectiveParameters`` was obtained (``parameterSources`` field).
PASSED: Final[str] = "passed"
DEFAULT: Final[str] = "default"
SERVER: Final[str] = "server"


@dataclass(slots=True)
class Request:
    """What a call asked for, read from its arguments before it ran.

    Attributes:
        api: the framework call, e.g. ``"openai.chat.completions.create"``.
        requested_model: the model name the caller passed (NexArt's ``model``).
        prompt: the system or developer instructions (NexArt's ``prompt``).
        input: the messages or input items (NexArt's ``input``), without the instructions.
        parameters: NexArt's four (``temperature``, ``maxTokens``, ``topP``, ``seed``) with
            the values in effect: passed, or the provider's documented default.
        effective: every argument that shaped the answer, defaults resolved.
        sources: for each key of ``effective``: ``"passed"``, ``"default"`` or, once the
            response is read, ``"server"`` (the server echoed the value it applied).
        identity: ``modelIdentity`` facts known before the call (provider, endpoint host,
            framework version, requested model).
        stream: the call asked for a stream.
    """

    api: str
    requested_model: str
    prompt: str
    input: Any
    parameters: dict[str, Any]
    effective: dict[str, Any]
    sources: dict[str, str]
    identity: dict[str, Any]
    stream: bool = False


@dataclass(slots=True)
class Response:
    """What the framework answered.

    Attributes:
        output: the answer as JSON (text, tool calls as structured data, parsed output).
        served_model: the model the response says served the call (NexArt's ``modelVersion``).
        identity: ``modelIdentity`` facts from the response (``providerFingerprint``,
            ``requestId``, ``serviceTier``...).
        echoed: parameters the server reports it applied; they win over the requested ones.
        tool_calls: ``toolCalls`` entries the model asked for (see :func:`tool_call`).
        usage: token counts as the provider reports them, under the provider's names.
        finish_reason: why generation stopped (``stop``, ``length``, ``tool_calls``...).
        complete: for a stream, whether its final event arrived.
    """

    output: Any
    served_model: str | None = None
    identity: dict[str, Any] = field(default_factory=dict)
    echoed: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    complete: bool = True


@dataclass(frozen=True, slots=True)
class Timing:
    """When a call ran, read by the recording machinery (``time.time`` seconds, ms)."""

    started: str
    ended: str
    duration_ms: float
    ttft_ms: float | None = None


class StreamFold(Protocol):
    """Reads a stream's chunks as they pass, on the caller's thread: a few attribute reads
    per chunk, keeping the text pieces (strings) and only the few chunk objects it needs.
    Keeping every chunk object of a long stream would cost far more than reading it: each
    is a tree of objects the cyclic garbage collector then walks again and again."""

    count: int

    def add(self, chunk: Any) -> None: ...


class CallIntegration(Protocol):
    """The interface of an integration that records framework calls (OpenAI, Anthropic...)."""

    provider: str

    def request(self, api: str, kwargs: Mapping[str, Any], client: Any) -> Request:
        """Read a call's keyword arguments; ``client`` is the SDK client that made it (its
        endpoint goes into ``modelIdentity``, never its credentials), or ``None``."""
        ...

    def response(self, request: Request, result: Any) -> Response:
        """Read the framework's answer to a call that did not stream."""
        ...

    def fold(self, api: str) -> StreamFold:
        """A new fold for one stream of ``api``."""
        ...

    def stream(self, request: Request, fold: StreamFold, result: Any) -> Response:
        """Read the answer from what a stream delivered (possibly cut short)."""
        ...

    def error(self, exc: BaseException) -> dict[str, Any]:
        """The ``execution.error`` of a provider error: type, status code, error type."""
        ...


#: The encoder handed to a family for nested values (depth and cycles tracked by the caller).
Sub = Callable[[Any], Any]


class Encoder(Protocol):
    """The full value encoder, handed to :meth:`ModelFamily.identify`; ``state=True`` encodes
    objects of unknown types by their ``__getstate__()`` and never writes content."""

    def __call__(self, value: Any, *, state: bool = False) -> Any: ...


class ContentPolicy(Protocol):
    """How much content an encoding writes (``cerkit.capture.encode.EncodeOptions``)."""

    @property
    def object_state(self) -> bool: ...

    def wants(self, size: int) -> bool: ...


class ModelFamily(Protocol):
    """The interface of a library whose values and models cerkit knows (numpy, torch...)."""

    #: The import name; a family is consulted only once its library has been imported.
    module: str

    def encode(self, value: Any, options: ContentPolicy, sub: Sub, encoder: Encoder) -> Any:
        """The deterministic JSON of ``value``, or ``None`` when it is not of this family;
        ``sub`` encodes nested values, ``encoder`` encodes a value from scratch."""
        ...

    def identify(self, model: Any, encode: Encoder) -> dict[str, Any] | None:
        """``modelIdentity`` of ``model``, or ``None`` when it is not one of this family's."""
        ...


def qualified_name(kind: Any) -> str:
    """``module:qualname`` of a class or function."""
    return f"{getattr(kind, '__module__', '?')}:{getattr(kind, '__qualname__', repr(kind))}"


def public_class_path(kind: type) -> str:
    """``sklearn.linear_model.LogisticRegression`` rather than the private module path."""
    parts = [p for p in kind.__module__.split(".") if not p.startswith("_")]
    return ".".join([*parts, kind.__qualname__])


@functools.lru_cache(maxsize=64)
def distribution_version(distribution: str) -> str:
    """The installed version of a distribution, or ``"unknown"``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "unknown"


def resolve(
    passed: Mapping[str, Any], defaults: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Effective parameters from what was passed and the documented defaults.

    >>> resolve({"temperature": 0.2}, {"temperature": 1, "top_p": 1})
    ({'temperature': 0.2, 'top_p': 1}, {'temperature': 'passed', 'top_p': 'default'})
    """
    effective: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, value in defaults.items():
        effective[name], sources[name] = value, DEFAULT
    for name, value in passed.items():
        effective[name], sources[name] = value, PASSED
    return effective, sources


def nexart_parameters(
    effective: Mapping[str, Any], names: Mapping[str, str], passed: Mapping[str, Any]
) -> dict[str, Any]:
    """NexArt's ``parameters``: its four from the effective ones (``names`` maps NexArt's
    name to the provider's; ``maxTokens`` with no limit in effect is ``0``, as NexArt needs
    a number), then every other argument as passed, so two different requests never share
    an execution key.

    >>> nexart_parameters({"temperature": 1, "top_p": 1}, {"topP": "top_p"}, {"n": 2})
    {'temperature': 1, 'maxTokens': 0, 'topP': 1, 'seed': None, 'n': 2}
    """
    out: dict[str, Any] = {"temperature": 1, "maxTokens": 0, "topP": None, "seed": None}
    for nexart, provider in names.items():
        value = effective.get(provider)
        if isinstance(value, int | float) and not isinstance(value, bool):
            out[nexart] = value
    mapped = set(names.values())
    for name, value in passed.items():
        if name not in mapped and name not in out:
            out[name] = value
    return out


def tool_call(name: str, arguments: Any, call_id: str | None) -> dict[str, Any]:
    """A ``toolCalls`` entry for a tool the model asked to run (``status: "requested"``):
    the arguments are in the output, hashed here; the result is the caller's to produce.

    >>> tool_call("add", '{"a": 1}', "call_1")["argumentsHash"][:15]
    'sha256:f9d86028'
    """
    return {
        "name": name,
        "version": None,
        "id": call_id,
        "argumentsHash": hash_payload(arguments),
        "resultHash": None,
        "status": "requested",
    }


def snapshot_args(
    provider: str, request: Request, response: Response | None, timing: Timing, state: Any
) -> dict[str, Any]:
    """``createSnapshot`` arguments for one call (the secret filter runs after this).

    Args:
        provider: the record's ``provider``.
        request: what was asked.
        response: what was answered, or ``None`` when the call failed before any answer.
        timing: when it ran.
        state: the execution facts: ``{"status", "error", "stream"}``.
    """
    effective, sources = dict(request.effective), dict(request.sources)
    identity = {**request.identity, "requestedModel": request.requested_model}
    output: Any = {"error": state.get("error")}
    if response is not None:
        for name, value in response.echoed.items():
            if value is not None:
                effective[name], sources[name] = value, SERVER
        identity.update((k, v) for k, v in response.identity.items() if v is not None)
        if response.served_model:
            identity["servedModel"] = response.served_model
        if state.get("status") == "ok" or response.output is not None:
            output = response.output
    execution = {
        "kind": "llm",
        "api": request.api,
        "startedAt": timing.started,
        "endedAt": timing.ended,
        "durationMs": timing.duration_ms,
        "ttftMs": timing.ttft_ms,
        **state,
    }
    return {
        "provider": provider,
        "model": request.requested_model,
        "modelVersion": response.served_model if response is not None else None,
        "prompt": request.prompt or NO_PROMPT,
        "input": request.input,
        "output": output if output is not None else {"$type": "none"},
        "parameters": request.parameters,
        "effectiveParameters": effective,
        "parameterSources": sources,
        "modelIdentity": identity,
        "toolCalls": response.tool_calls if response is not None else [],
        "usage": response.usage if response is not None else None,
        "finishReason": response.finish_reason if response is not None else None,
        "execution": execution,
    }


__all__ = [
    "DEFAULT",
    "NO_PROMPT",
    "PASSED",
    "SERVER",
    "CallIntegration",
    "ContentPolicy",
    "Encoder",
    "ModelFamily",
    "Request",
    "Response",
    "StreamFold",
    "Sub",
    "Timing",
    "distribution_version",
    "nexart_parameters",
    "public_class_path",
    "qualified_name",
    "resolve",
    "snapshot_args",
    "tool_call",
]
