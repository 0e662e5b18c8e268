"""The log page: tree size, the signed checkpoint, consistency and inclusion proofs.

``GET /log`` shows the log's size and root and its latest signed checkpoint with its checks
(:mod:`cerkit.portal.log_checks`); ``?record=HASH`` adds the record's inclusion proof.
``POST /log`` checks a pasted or uploaded checkpoint, saved earlier by the user, for
consistency with the log now: the proof that the log only grew since. Nothing is stored.
Without a log (``cerkit ui`` with no ``--log``) the page says how to give one.
"""

from __future__ import annotations

import re
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from cerkit.checkpoint import MAX_NOTE_BYTES
from cerkit.errors import CerkitError, OperationalError, Reason
from cerkit.portal.log_checks import Outcome, b64, checkpoint_outcome, inclusion_outcome
from cerkit.portal.logview import LogView
from cerkit.portal.report_view import check_rows
from cerkit.portal.templating import page

#: A record is named by its full certificate hash (the log is keyed by it).
_HASH: Final[re.Pattern[str]] = re.compile(r"(?:sha256:)?([0-9a-f]{64})")


def _view(outcome: Outcome | None) -> dict[str, Any] | None:
    if outcome is None:
        return None
    return {
        "ok": outcome.ok,
        "checks": check_rows(outcome.checks),
        "facts": list(outcome.facts.items()),
        "proof": list(outcome.proof),
    }


class LogPage:
    """``/log`` over one :class:`~cerkit.portal.logview.LogView`, or none."""

    def __init__(self, source: LogView | None) -> None:
        self.source = source

    @staticmethod
    def _state(source: LogView, record: str) -> dict[str, Any]:
        """Blocking: the tree, the signed checkpoint and its checks, the inclusion asked."""
        size = source.tree_size()
        values: dict[str, Any] = {"size": size, "root": b64(source.root(size)), "record": record}
        try:
            note = source.signed_checkpoint()
        except CerkitError as exc:  # a node that refuses to sign says why
            note, values["noteError"] = None, f"{exc.reason}: {exc.message}"
        values["note"] = note
        values["signed"] = _view(checkpoint_outcome(source, note) if note else None)
        values["inclusion"] = None
        if record:
            match = _HASH.fullmatch(record.strip())
            if match is None:
                values["recordError"] = f"{Reason.BAD_REQUEST}: give a full certificate hash"
            else:
                outcome = inclusion_outcome(source, "sha256:" + match.group(1))
                values["inclusion"] = _view(outcome)
        return values

    async def show(self, request: Request) -> Response:
        """``GET /log`` and ``POST /log`` (a checkpoint to check for consistency)."""
        source = self.source
        if source is None:
            return page("log.html", 404, source=False)
        pasted, problem = "", None
        if request.method == "POST":
            pasted, problem = await _pasted_note(request)
        record = request.query_params.get("record", "")[:80]
        try:
            values = await run_in_threadpool(self._state, source, record)
            if pasted and problem is None:
                outcome = await run_in_threadpool(checkpoint_outcome, source, pasted)
                values["pasted"] = _view(outcome)
        except OperationalError as exc:  # the log cannot be read, or its node refuses
            return page("log.html", 503, source=True, fatal=f"{exc.reason}: {exc.message}")
        return page(
            "log.html",
            400 if problem else 200,
            source=True,
            pastedNote=pasted,
            pastedError=problem,
            **values,
        )


async def _pasted_note(request: Request) -> tuple[str, str | None]:
    """The checkpoint from the form (file or text, LF line ends), or the problem with it."""
    form = await request.form(max_files=1, max_fields=2, max_part_size=MAX_NOTE_BYTES)
    upload = form.get("checkpoint_file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_NOTE_BYTES + 1)
        text = data.decode("utf-8", "replace")
    else:
        value = form.get("checkpoint")
        text = value if isinstance(value, str) else ""
    text = text.replace("\r\n", "\n")  # browsers send textarea lines as CRLF
    if len(text.encode("utf-8")) > MAX_NOTE_BYTES:
        return "", f"{Reason.INPUT_TOO_LARGE}: a checkpoint is at most {MAX_NOTE_BYTES} bytes"
    if not text.strip():
        return "", f"{Reason.NOT_PRESENT}: paste a checkpoint or choose its file"
    return text.strip("\n") + "\n", None
