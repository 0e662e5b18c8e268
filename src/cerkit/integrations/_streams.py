"""Recorded streams: a provider's stream passed through chunk by chunk, read by the
integration's :class:`~cerkit.integrations.base.StreamFold` as it passes, and recorded once,
at the first of: it ended, it failed, it (or its HTTP response) was closed, it was dropped.
"""

from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cerkit.integrations._calls import Call, Recorder


class _StreamEnd:
    """Records a stream once, at the first of: it ended, failed, was closed, was dropped."""

    __slots__ = ("call", "over", "recorder")

    def __init__(self, recorder: Recorder, call: Call) -> None:
        self.recorder, self.call, self.over = recorder, call, False
        call.fold = recorder.integration.fold(call.api)

    def __call__(self, state: str | None, error: BaseException | None = None) -> None:
        if not self.over:
            self.over = True
            self.recorder.done(self.call, self.call.result, error, state)


class _ResponseProxy:
    """The HTTP response of a recorded stream: closing it early abandons the stream (the
    SDKs' streaming helpers close the response rather than the stream)."""

    def __init__(self, response: Any, end: _StreamEnd) -> None:
        self._response, self._end = response, end

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)

    def close(self) -> None:
        self._end("abandoned")
        self._response.close()

    async def aclose(self) -> None:
        self._end("abandoned")
        await self._response.aclose()


class _Recorded:
    """What both stream wrappers share: the wrapped stream, its end, its response."""

    def __init__(self, stream: Any, recorder: Recorder, call: Call) -> None:
        call.result = stream
        self._stream, self._end = stream, _StreamEnd(recorder, call)
        self._iterator: Any = None
        if hasattr(stream, "response"):
            self.response = _ResponseProxy(stream.response, self._end)
        weakref.finalize(self, self._end, "abandoned")  # dropped unread

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class RecordedStream(_Recorded):
    """A provider's stream, passed through chunk by chunk and recorded when it ends."""

    def __iter__(self) -> Any:
        return _chunks(self._stream, self._end)

    def __next__(self) -> Any:
        if self._iterator is None:
            self._iterator = _chunks(self._stream, self._end)
        return next(self._iterator)

    def __enter__(self) -> RecordedStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._end("abandoned")
        self._stream.close()


def _chunks(stream: Any, end: _StreamEnd) -> Any:
    call = end.call
    assert call.fold is not None
    append = call.fold.add
    try:
        iterator = iter(stream)
        for chunk in iterator:
            call.first = time.perf_counter()
            append(chunk)
            yield chunk
            break
        for chunk in iterator:
            append(chunk)
            yield chunk
    except GeneratorExit:
        end("abandoned")
        raise
    except BaseException as exc:
        end("interrupted", exc)
        raise
    end(None)


class AsyncRecordedStream(_Recorded):
    """The async twin of :class:`RecordedStream`."""

    def __aiter__(self) -> Any:
        return _achunks(self._stream, self._end)

    async def __anext__(self) -> Any:
        if self._iterator is None:
            self._iterator = _achunks(self._stream, self._end)
        return await self._iterator.__anext__()

    async def __aenter__(self) -> AsyncRecordedStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        self._end("abandoned")
        await self._stream.close()


async def _achunks(stream: Any, end: _StreamEnd) -> Any:
    call = end.call
    assert call.fold is not None
    append = call.fold.add
    first = True
    try:
        async for chunk in stream:
            if first:
                call.first, first = time.perf_counter(), False
            append(chunk)
            yield chunk
    except GeneratorExit:
        end("abandoned")
        raise
    except BaseException as exc:
        end("interrupted", exc)
        raise
    end(None)


__all__ = ["AsyncRecordedStream", "RecordedStream"]
