"""``POST /v1/attest/batch``: many records in one request, each answered on its own.

The pure part of the endpoint (docs/node.md, "Batch attestation"); the HTTP layer reads
the body, commits what passed through the batcher and renders the answer. Steps:

1. parse the body under the limits of :mod:`cerkit.jsonio`: a JSON array of records, or
   ``{"records": [...], "atomic": true|false}``; at most
   :data:`~cerkit.node.limits.MAX_ATTEST_BATCH` records, at least one;
2. check each record as ``POST /v1/attest`` does (integrity, layer 1), keeping each
   failure with the record's index and reason code;
3. atomic (``?atomic=true`` or ``"atomic": true``): one failure rejects the request,
   ``422 BATCH_REJECTED`` listing every failure, and nothing is logged;
4. otherwise the records that passed are appended in one transaction and the answer lists
   every record in request order: its receipt, or its failure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from cerkit.errors import InvalidRecordError, Reason, RequestError
from cerkit.jsonio import loads
from cerkit.node.limits import MAX_ATTEST_BATCH, MAX_BODY_BYTES
from cerkit.node.submission import AttestedRecord, Submission, check_submission

#: The keys a batch object may carry; anything else is refused (a misspelt ``atomic``
#: must not silently turn an all-or-nothing batch into a partial one).
_BATCH_KEYS: Final[frozenset[str]] = frozenset(("records", "atomic"))
#: How ``?atomic=`` may be spelt.
_FLAG_VALUES: Final[dict[str, bool]] = {"true": True, "1": True, "false": False, "0": False}


@dataclass(frozen=True, slots=True)
class Failure:
    """One record of a batch that fails its check: its index in the request and why."""

    index: int
    error: InvalidRecordError

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "code": str(self.error.reason), "message": self.error.message}


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """A parsed and checked batch: the records that passed (with their indices) and the
    failures, in request order."""

    atomic: bool
    count: int
    accepted: list[tuple[int, Submission]]
    failures: list[Failure]

    @property
    def submissions(self) -> list[Submission]:
        return [s for _, s in self.accepted]

    def rejection(self) -> dict[str, Any]:
        """Step 3: the ``422 BATCH_REJECTED`` body of an atomic batch with failures."""
        message = (
            f"{len(self.failures)} of {self.count} records fail their check; atomic batch:"
            " nothing was logged"
        )
        failures = [f.to_json() for f in self.failures]
        return {
            "error": {"code": str(Reason.BATCH_REJECTED), "message": message, "failures": failures}
        }

    def answer(self, results: Sequence[AttestedRecord]) -> dict[str, Any]:
        """Step 4: every record in request order, answered as ``POST /v1/attest`` answers
        it (plus its ``index``), or ``{"index", "error": {"code", "message"}}``."""
        items: list[dict[str, Any] | None] = [None] * self.count
        for (index, _), result in zip(self.accepted, results, strict=True):
            items[index] = {"index": index, **result.to_json()}
        for failure in self.failures:
            items[failure.index] = {
                "index": failure.index,
                "error": {"code": str(failure.error.reason), "message": failure.error.message},
            }
        created = sum(r.created for r in results)
        return {
            "atomic": self.atomic,
            "count": self.count,
            "created": created,
            "existing": len(results) - created,
            "failed": len(self.failures),
            "results": items,
        }


def atomic_flag(value: str | None) -> bool | None:
    """The ``atomic`` query parameter: ``true``/``1``, ``false``/``0``, or absent (None).

    Raises:
        RequestError: ``BAD_REQUEST`` for any other spelling.
    """
    if value is None:
        return None
    flag = _FLAG_VALUES.get(value.lower())
    if flag is None:
        raise RequestError("atomic must be true or false", Reason.BAD_REQUEST)
    return flag


def _records(document: Any, query_atomic: bool | None) -> tuple[list[Any], bool]:
    """Step 1 after parsing: the records and whether the batch is atomic."""
    body_atomic: Any = None
    if isinstance(document, Mapping):
        unknown = sorted(str(k)[:40] for k in document if k not in _BATCH_KEYS)
        if unknown:
            raise RequestError(f"unknown batch field(s): {', '.join(unknown)}", Reason.BAD_REQUEST)
        body_atomic = document.get("atomic")
        if body_atomic is not None and not isinstance(body_atomic, bool):
            raise RequestError("atomic must be true or false", Reason.BAD_REQUEST)
        document = document.get("records")
    if not isinstance(document, list):
        raise RequestError(
            'the body must be an array of sealed records, or {"records": [...]}',
            Reason.BAD_REQUEST,
        )
    if query_atomic is not None and body_atomic is not None and query_atomic != body_atomic:
        raise RequestError("atomic differs between the query and the body", Reason.BAD_REQUEST)
    if not document:
        raise RequestError("the batch holds no records", Reason.BAD_REQUEST)
    if len(document) > MAX_ATTEST_BATCH:
        raise RequestError(
            f"the batch holds {len(document)} records; the limit is {MAX_ATTEST_BATCH}",
            Reason.INPUT_TOO_LARGE,
        )
    atomic = query_atomic if query_atomic is not None else bool(body_atomic)
    return document, atomic


def parse_batch(body: bytes, query_atomic: bool | None = None) -> BatchRequest:
    """Steps 1-2: parse a batch body and check each record.

    Raises:
        InvalidRecordError: the body is not JSON (``MALFORMED_JSON``, ``INPUT_TOO_DEEP``).
        RequestError: the body is not a batch, is empty, or holds more than
            :data:`~cerkit.node.limits.MAX_ATTEST_BATCH` records (``INPUT_TOO_LARGE``).
    """
    records, atomic = _records(loads(body, max_bytes=MAX_BODY_BYTES), query_atomic)
    accepted: list[tuple[int, Submission]] = []
    failures: list[Failure] = []
    for index, record in enumerate(records):
        try:
            accepted.append((index, check_submission(record)))
        except InvalidRecordError as exc:
            failures.append(Failure(index, exc))
    return BatchRequest(atomic, len(records), accepted, failures)
