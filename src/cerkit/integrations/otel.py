"""OpenTelemetry: ``CerkitSpanProcessor`` seals finished GenAI spans into CERs
(``cerkit[otel]``, docs/integrations.md §11).

>>> provider = TracerProvider()  # doctest: +SKIP
>>> provider.add_span_processor(CerkitSpanProcessor(store="sqlite:///records.db"))  # doctest: +SKIP

Every span that follows the GenAI semantic conventions (``gen_ai.operation.name`` or
``gen_ai.request.model``), as ``opentelemetry-instrumentation-openai-v2`` and other
instrumentations emit them, becomes one record when it ends (:mod:`._otel_map` reads it):
requested and served model, system fingerprint, response id, ``gen_ai.request.*`` parameters,
usage, finish reason, and with content capture on, the instructions, input and output
messages. The record's ``execution.trace`` names the trace and span, so a record points at
its span. A span of a call that cerkit recorded itself (an instrumented client seals such
a call on the caller's thread and marks its span) carries ``cer.certificate_hash``: the
trace points at that record, and the processor does not record the call a second time.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import StatusCode

from cerkit.capture.builder import Hook, iso_time, seal_record
from cerkit.capture.fingerprint import fingerprint
from cerkit.capture.secrets import scrub
from cerkit.capture.trust_hooks import trust_hooks
from cerkit.integrations._otel_map import CERTIFICATE_ATTRIBUTE, is_gen_ai, span_args


class CerkitSpanProcessor(SpanProcessor):
    """Seals each finished GenAI span into a CER (on the thread that ends the span).

    Args:
        store: a store URL or path, a ``RecordStore``, ``None`` for the default store,
            ``False`` to keep records in memory only (``last_record``).
        hooks: post-seal hooks, after the signing and attestation ones.
        sign, attest: as for ``cerkit.record``.

    Attributes:
        last_record: the latest record sealed.
        recorded: how many spans were sealed.
        linked: how many spans carried ``cer.certificate_hash`` (recorded by cerkit already).
    """

    def __init__(
        self,
        *,
        store: Any = None,
        hooks: Sequence[Hook] = (),
        sign: Any = None,
        attest: Any = None,
    ) -> None:
        self.store = store
        self.hooks: tuple[Hook, ...] = (*trust_hooks(sign, attest), *hooks)
        self.last_record: dict[str, Any] | None = None
        self.recorded = 0
        self.linked = 0

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        attributes = span.attributes or {}
        if not is_gen_ai(attributes):
            return
        if CERTIFICATE_ATTRIBUTE in attributes:
            self.linked += 1
            return
        try:
            self.last_record = self._seal(span, attributes)
            self.recorded += 1
        except Exception as exc:  # cerkit must not break the traced program
            warnings.warn(f"cerkit could not record this span: {exc}", RuntimeWarning, 2)

    def _seal(self, span: ReadableSpan, attributes: Any) -> dict[str, Any]:
        start, end = span.start_time or 0, span.end_time or 0
        ended = iso_time(end / 1e9)
        timing = {
            "startedAt": iso_time(start / 1e9),
            "endedAt": ended,
            "durationMs": round((end - start) / 1e6, 3),
        }
        context = span.context
        failed = span.status.status_code is StatusCode.ERROR
        error = None
        if failed:
            error = {
                "type": attributes.get("error.type") or "error",
                "message": span.status.description,
            }
        status = {
            "status": "error" if failed else "ok",
            "error": error,
            "trace": {
                "traceId": f"{context.trace_id:032x}" if context else None,
                "spanId": f"{context.span_id:016x}" if context else None,
                "parentSpanId": f"{span.parent.span_id:016x}" if span.parent else None,
            },
        }
        args = scrub(span_args(span.name, attributes, span.events, timing, status))
        args["executionId"] = os.urandom(16).hex()
        args["timestamp"] = timing["startedAt"]
        args["environment"] = fingerprint()
        return seal_record(args, ended, self.hooks, self.store)

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


__all__ = ["CerkitSpanProcessor"]
