"""Recording framework calls: timing on the caller's thread, everything else off it.

A recorded call costs its caller a clock read, a shallow copy of the arguments (the caller
may append to its ``messages`` list right after the call) and a queue put. Mapping the call
onto the snapshot, encoding, the secret filter, sealing, the post-seal hooks and the store
write run on one background thread, in call order (the recorder's store writes are already
queued the same way). :func:`flush` waits for them. A stream costs a few attribute reads per
chunk (:class:`~cerkit.integrations.base.StreamFold`) and is recorded once, when it ends,
fails, is closed or is dropped unread.

A failure of cerkit never breaks the recorded call: it warns. A provider error is recorded
and re-raised unchanged.
"""

from __future__ import annotations

import atexit
import contextvars
import os
import queue
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cerkit.capture.builder import Hook, iso_time, seal_record
from cerkit.capture.fingerprint import fingerprint
from cerkit.capture.secrets import scrub
from cerkit.capture.trust_hooks import trust_hooks
from cerkit.capture.workflow import current as current_workflow
from cerkit.integrations._otel_map import current_gen_ai_span, mark_current_span
from cerkit.integrations._streams import AsyncRecordedStream, RecordedStream
from cerkit.integrations.base import (
    CallIntegration,
    Response,
    StreamFold,
    Timing,
    snapshot_args,
)

#: Set while a recorded call runs, so a wrapper reached again from inside it (a client
#: instrumented both globally and by object, a helper calling ``create``) records nothing.
_ACTIVE: Final[contextvars.ContextVar[bool]] = contextvars.ContextVar("cerkit_call", default=False)


@dataclass(frozen=True, slots=True)
class RecordOptions:
    """How an instrumented client records (the ``**record_options`` of ``instrument``).

    Attributes:
        store: a store URL or path, a ``RecordStore``, ``None`` for the default store, or
            ``False`` to keep records in memory only (``last_record``).
        hooks: post-seal hooks, after the signing and attestation ones.
        background: seal on the background thread (``False``: on the caller's thread, so
            ``last_record`` is set when the call returns).
    """

    store: Any = None
    hooks: tuple[Hook, ...] = ()
    background: bool = True


def record_options(
    *,
    store: Any = None,
    hooks: Sequence[Hook] = (),
    sign: Any = None,
    attest: Any = None,
    background: bool = True,
) -> RecordOptions:
    """Build :class:`RecordOptions`; ``sign`` and ``attest`` are as for ``cerkit.record``."""
    return RecordOptions(store, (*trust_hooks(sign, attest), *hooks), background)


class _Worker:
    """The one background thread that seals recorded calls, in order."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        if self._thread is None:
            self._start()
        self._jobs.put(job)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="cerkit-seal", daemon=True)
                thread.start()
                self._thread = thread

    def _run(self) -> None:
        while True:
            self._jobs.get()()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every job submitted so far has run; ``False`` on timeout."""
        if self._thread is None or threading.current_thread() is self._thread:
            return True
        done = threading.Event()
        self._jobs.put(done.set)
        return done.wait(timeout)


_WORKER: Final = _Worker()
atexit.register(_WORKER.flush, 30.0)


def flush(timeout: float | None = None) -> bool:
    """Wait until every recorded call has been sealed and handed to its store."""
    return _WORKER.flush(timeout)


def _frozen(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    # One level of copies: lists (messages, tools) and the dicts in them, so a caller that
    # appends the answer to its conversation does not rewrite what was asked.
    copied = dict(kwargs)
    for name, value in copied.items():
        if type(value) is list:
            copied[name] = [dict(item) if type(item) is dict else item for item in value]
    return copied


class Call:
    """One call being recorded: arguments, clocks, and what came back."""

    __slots__ = (
        "api", "client", "clock", "error", "first", "fold", "kwargs", "result", "started"
    )  # fmt: skip

    def __init__(self, api: str, kwargs: Mapping[str, Any], client: Any) -> None:
        self.api = api
        self.client = client
        self.kwargs = _frozen(kwargs)
        self.result: Any = None
        self.error: BaseException | None = None
        self.fold: StreamFold | None = None
        self.first: float | None = None
        self.started = time.time()
        self.clock = time.perf_counter()


class Recorder:
    """Records the calls one integration sees, with one set of options."""

    def __init__(self, integration: CallIntegration, options: RecordOptions) -> None:
        self.integration = integration
        self.options = options
        self.last_record: dict[str, Any] | None = None

    def call(
        self,
        api: str,
        method: Callable[..., Any],
        args: Any,
        kwargs: Any,
        client: Any = None,
        recorded: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run ``method(*args, **kwargs)`` and record it (sync); ``recorded`` are the
        arguments to record when they are not the ones ``method`` takes."""
        if _ACTIVE.get():
            return method(*args, **kwargs)
        call = Call(api, kwargs if recorded is None else recorded, client)
        token = _ACTIVE.set(True)
        try:
            result = method(*args, **kwargs)
        except BaseException as exc:
            self.done(call, None, exc, None)
            raise
        finally:
            _ACTIVE.reset(token)
        if call.kwargs.get("stream") is True and hasattr(result, "__iter__"):
            return RecordedStream(result, self, call)
        self.done(call, result, None, None)
        return result

    async def acall(
        self,
        api: str,
        method: Callable[..., Any],
        args: Any,
        kwargs: Any,
        client: Any = None,
        recorded: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run ``await method(*args, **kwargs)`` and record it (async)."""
        if _ACTIVE.get():
            return await method(*args, **kwargs)
        call = Call(api, kwargs if recorded is None else recorded, client)
        token = _ACTIVE.set(True)
        try:
            result = await method(*args, **kwargs)
        except BaseException as exc:
            self.done(call, None, exc, None)
            raise
        finally:
            _ACTIVE.reset(token)
        if call.kwargs.get("stream") is True and hasattr(result, "__aiter__"):
            return AsyncRecordedStream(result, self, call)
        self.done(call, result, None, None)
        return result

    def done(
        self, call: Call, result: Any, error: BaseException | None, stream_state: str | None
    ) -> None:
        """The call is over: record it, now or on the background thread."""
        ended, clock = time.time(), time.perf_counter()
        call.result, call.error = result, error
        workflow = current_workflow()  # the caller's, not the sealing thread's
        span = current_gen_ai_span()  # an OpenTelemetry GenAI span of this very call

        def job() -> None:
            try:
                self.last_record = self._seal(call, ended, clock, stream_state, workflow)
                if span is not None:
                    mark_current_span(span, self.last_record)
            except Exception as exc:  # cerkit must not break the recorded call
                warnings.warn(f"cerkit could not record this call: {exc}", RuntimeWarning, 2)

        # A workflow's steps seal in order; a traced call marks its span before it ends.
        if self.options.background and workflow is None and span is None:
            _WORKER.submit(job)
        else:
            job()

    def _seal(
        self,
        call: Call,
        ended: float,
        clock: float,
        stream_state: str | None,
        workflow: Any = None,
    ) -> dict[str, Any]:
        integration = self.integration
        request = integration.request(call.api, call.kwargs, call.client)
        response: Response | None = None
        if call.fold is not None:
            response = integration.stream(request, call.fold, call.result)
        elif call.error is None:
            response = integration.response(request, call.result)
        state: dict[str, Any] = {"status": "ok", "error": None}
        if call.error is not None:
            state = {"status": "error", "error": integration.error(call.error)}
        if call.fold is not None:
            complete = response is not None and response.complete
            stream_state = stream_state or ("complete" if complete else "interrupted")
            if stream_state != "complete" and call.error is None:
                state["status"] = "incomplete"
            state["stream"] = {"state": stream_state, "chunks": call.fold.count}
        first = call.first
        timing = Timing(
            started=iso_time(call.started),
            ended=iso_time(ended),
            duration_ms=round((clock - call.clock) * 1000, 3),
            ttft_ms=None if first is None else round((first - call.clock) * 1000, 3),
        )
        args = scrub(snapshot_args(integration.provider, request, response, timing, state))
        args["executionId"] = os.urandom(16).hex()
        args["timestamp"] = timing.started
        args["environment"] = fingerprint()
        hooks, store = self.options.hooks, self.options.store
        return seal_record(args, timing.ended, hooks, store, workflow=workflow)


__all__ = [
    "Call",
    "RecordOptions",
    "Recorder",
    "flush",
    "record_options",
]
