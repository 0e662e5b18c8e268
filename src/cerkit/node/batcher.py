"""Group commit: concurrently arriving attestations share one transaction and one fsync.

Requests queue up while the previous batch commits in a worker thread; the next batch takes
everything queued (up to :data:`~cerkit.node.limits.MAX_BATCH` records). When the node is
idle the first request waits :data:`~cerkit.node.limits.BATCH_WINDOW_SECONDS` for company,
so a burst still shares one commit. Each request gets its answer only after its batch
committed, so no receipt is handed out for a leaf that is not durable.

A request's records (one for ``POST /v1/attest``, up to
:data:`~cerkit.node.limits.MAX_ATTEST_BATCH` for ``POST /v1/attest/batch``) are a group that
is never split: they commit in one transaction, so a store failure loses all of them or none.
A group larger than ``MAX_BATCH`` commits alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence

from cerkit.node.limits import BATCH_WINDOW_SECONDS, MAX_BATCH
from cerkit.node.service import NodeService
from cerkit.node.submission import AttestedRecord, Submission

Observer = Callable[[int, float], None]
#: One request's records and the future its answers go to, in the same order.
_Group = tuple[Sequence[Submission], asyncio.Future[list[AttestedRecord]]]


class Batcher:
    """Feeds :meth:`NodeService.commit` from many coroutines, one batch at a time."""

    def __init__(
        self,
        service: NodeService,
        *,
        max_batch: int = MAX_BATCH,
        window: float = BATCH_WINDOW_SECONDS,
        observe: Observer | None = None,
    ) -> None:
        self._service = service
        self._max = max_batch
        self._window = window
        self._observe = observe
        self._queue: list[_Group] = []
        self._queued = 0  # records in the queue
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="cerkit-batcher")

    async def stop(self, drain_seconds: float = 10.0) -> None:
        """Answer what is queued or committing (for up to ``drain_seconds``), then stop."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + drain_seconds
        while (self._queue or self._busy) and self._task is not None and loop.time() < deadline:
            if self._task.done():
                break
            await asyncio.sleep(0.005)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def submit(self, submission: Submission) -> AttestedRecord:
        """Queue one validated record and wait until its batch is durable."""
        (result,) = await self.submit_group([submission])
        return result

    async def submit_group(self, submissions: Sequence[Submission]) -> list[AttestedRecord]:
        """Queue validated records to commit together; wait until they are durable and
        return their answers in order."""
        if not submissions:
            return []
        future: asyncio.Future[list[AttestedRecord]] = asyncio.get_running_loop().create_future()
        self._queue.append((submissions, future))
        self._queued += len(submissions)
        self._wakeup.set()
        return await future

    def _take(self) -> list[_Group]:
        """The next batch: queued groups, in order, up to ``max_batch`` records (at least
        one group, however large)."""
        count = taken = 0
        for submissions, _ in self._queue:
            if taken and count + len(submissions) > self._max:
                break
            count += len(submissions)
            taken += 1
        batch, self._queue = self._queue[:taken], self._queue[taken:]
        self._queued -= count
        return batch

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            if not self._queue:
                continue
            if self._queued < self._max and self._window > 0:
                await asyncio.sleep(self._window)
            batch = self._take()
            if self._queue:
                self._wakeup.set()
            await self._commit(batch)

    async def _commit(self, batch: Sequence[_Group]) -> None:
        started = time.perf_counter()
        self._busy = True
        submissions = [s for group, _ in batch for s in group]
        try:
            results = await asyncio.to_thread(self._service.commit, submissions)
        except Exception as exc:  # the store failed: every waiter gets the error, none a receipt
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        finally:
            self._busy = False
        start = 0
        for group, future in batch:
            if not future.done():
                future.set_result(results[start : start + len(group)])
            start += len(group)
        if self._observe is not None:
            self._observe(len(submissions), time.perf_counter() - started)
