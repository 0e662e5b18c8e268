"""What a running node does on its own, beside answering requests.

Two background tasks, started and stopped with the app (its lifespan):

- every :data:`~cerkit.node.limits.LOG_CHECK_SECONDS`, :meth:`NodeService.check_log` proves
  the stored log consistent with what the node signed; a failure makes it refuse to sign
  (reason ``LOG_INCONSISTENT``), fail ``GET /ready``, set ``cerkit_node_log_consistent`` to 0
  and log an error line; a later success resumes;
- every :data:`~cerkit.node.limits.KEY_RELOAD_SECONDS`, the key document is looked at and,
  when it changed, re-read: a rotated key signs from then on, a revoked key stops signing
  and is published revoked (``NO_SIGNING_KEY`` when no active key is left).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from cerkit.errors import CerkitError
from cerkit.node.config import KeySource
from cerkit.node.metrics import NodeMetrics
from cerkit.node.service import NodeService

_log = logging.getLogger("cerkit.node")


class Maintenance:
    """The node's periodic self-checks and key reloads."""

    def __init__(
        self,
        service: NodeService,
        metrics: NodeMetrics,
        keys: KeySource | None,
        *,
        log_check_seconds: float,
        key_reload_seconds: float,
    ) -> None:
        self.service = service
        self.metrics = metrics
        self.keys = keys
        self.log_check_seconds = log_check_seconds
        self.key_reload_seconds = key_reload_seconds
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._every(self.log_check_seconds, self.check_log)))
        if self.keys is not None:
            self._tasks.append(loop.create_task(self._every(self.key_reload_seconds, self.reload)))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    @staticmethod
    async def _every(seconds: float, step: Callable[[], Awaitable[None]]) -> None:
        while True:
            await asyncio.sleep(seconds)
            await step()

    async def check_log(self) -> None:
        """One self-check of the stored log, counted by outcome."""
        try:
            problem = await asyncio.to_thread(self.service.check_log)
        except CerkitError as exc:  # the store did not answer: nothing is concluded
            _log.warning("log self-check could not run: %s", exc.message)
            self.metrics.log_checks.labels("error").inc()
            return
        self.metrics.log_checks.labels("consistent" if problem is None else "inconsistent").inc()

    async def reload(self) -> None:
        """Re-read the key document when it changed; keep the old identity if it is broken."""
        keys = self.keys
        if keys is None or not keys.changed():
            return
        try:
            identity = await asyncio.to_thread(keys.load)
        except CerkitError as exc:
            _log.error("key document changed but cannot be used (%s); keys unchanged", exc)
            return
        before = self.service.identity.kid
        self.service.set_identity(identity)
        self.metrics.key_reloads.inc()
        if identity.kid != before:
            now = identity.kid or "none: the node signs nothing"
            _log.warning("signing key changed from %s to %s", before or "none", now)
