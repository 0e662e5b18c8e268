"""Reading request bodies under the node's bounds (docs/node.md, Limits).

A JSON endpoint reads its body through :func:`json_body`, which, in order:

1. refuses a body not declared ``application/json`` (415), before reading a byte;
2. refuses a declared length over :data:`~cerkit.node.limits.MAX_BODY_BYTES` (413);
3. reserves a large body's bytes from the shared :class:`BodyBudget`, refusing with 503
   ``OVERLOADED`` when the budget is spent (a chunked body reserves as it grows);
4. reads within :data:`~cerkit.node.limits.BODY_TIMEOUT_SECONDS` (408 otherwise);
5. keeps the reservation until the handler is done with the body (parsed and checked).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.requests import ClientDisconnect, Request

from cerkit.errors import OperationalError, Reason, RequestError
from cerkit.node.limits import (
    BODY_TIMEOUT_SECONDS,
    JSON_MEDIA_TYPE,
    LARGE_BODY_BUDGET_BYTES,
    LARGE_BODY_BYTES,
    MAX_BODY_BYTES,
)


class BodyBudget:
    """Bytes of large bodies held by all requests at once. Used on the event loop only, so
    it needs no lock."""

    def __init__(self, capacity: int = LARGE_BODY_BUDGET_BYTES) -> None:
        self.capacity = capacity
        self.used = 0

    def reserve(self, size: int) -> None:
        """Take ``size`` bytes, or raise 503 ``OVERLOADED`` without taking any."""
        if self.used + size > self.capacity:
            raise OperationalError(
                f"too many large bodies in flight ({self.used} of {self.capacity} bytes);"
                " retry later",
                Reason.OVERLOADED,
            )
        self.used += size

    def release(self, size: int) -> None:
        self.used -= size


def require_json(request: Request) -> None:
    """Step 1: the declared media type is ``application/json`` or ``*/*+json``."""
    declared = request.headers.get("content-type", "")
    media = declared.split(";", 1)[0].strip().lower()
    if media != JSON_MEDIA_TYPE and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        shown = media[:60] or "none"
        raise RequestError(
            f"the body must be {JSON_MEDIA_TYPE} (Content-Type was {shown})",
            Reason.UNSUPPORTED_MEDIA_TYPE,
        )


def _too_large() -> RequestError:
    return RequestError(f"body over {MAX_BODY_BYTES} bytes", Reason.INPUT_TOO_LARGE)


def _declared_length(request: Request) -> int | None:
    declared = request.headers.get("content-length")
    if declared is None:
        return None
    if not declared.isascii() or not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    return int(declared)


class _Reader:
    """Steps 2-4 for one request; ``held`` is what it reserved from the budget."""

    def __init__(self, request: Request, budget: BodyBudget, timeout: float) -> None:
        self.request = request
        self.budget = budget
        self.timeout = timeout
        self.held = 0

    def _hold(self, size: int) -> None:
        if size > self.held and size > LARGE_BODY_BYTES:
            self.budget.reserve(size - self.held)
            self.held = size

    async def _chunks(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        async for chunk in self.request.stream():
            total += len(chunk)
            if total > MAX_BODY_BYTES:
                raise _too_large()
            self._hold(total)
            chunks.append(chunk)
        return b"".join(chunks)

    async def read(self) -> bytes:
        declared = _declared_length(self.request)
        if declared is not None:
            self._hold(declared)
        try:
            async with asyncio.timeout(self.timeout):
                return await self._chunks()
        except ClientDisconnect:  # nobody is left to answer; the handler stops here
            raise RequestError("the client went away mid-body", Reason.BAD_REQUEST) from None
        except TimeoutError:
            raise RequestError(
                f"the body did not arrive within {self.timeout:g} s",
                Reason.REQUEST_TIMEOUT,
            ) from None


@asynccontextmanager
async def json_body(
    request: Request, budget: BodyBudget, timeout: float = BODY_TIMEOUT_SECONDS
) -> AsyncIterator[bytes]:
    """The request's JSON body, read under every bound (steps 1-5).

    Raises:
        RequestError: ``UNSUPPORTED_MEDIA_TYPE``, ``INPUT_TOO_LARGE`` or ``REQUEST_TIMEOUT``.
        OperationalError: ``OVERLOADED``. The budget is released in every case.
    """
    require_json(request)
    reader = _Reader(request, budget, timeout)
    try:
        yield await reader.read()
    finally:
        budget.release(reader.held)
