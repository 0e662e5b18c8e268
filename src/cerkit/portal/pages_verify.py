"""The verify page: records, ``.jsonl`` batches and project bundles, with trust material.

``POST /verify`` takes an upload (a file input the page's script also fills by drag and
drop) or pasted JSON, and optional trust material: a node key document or trust bundle, a
producer public key, a saved checkpoint. Steps, numbered as in the code:

1. read the form within :data:`MAX_UPLOAD_BYTES` per part; nothing is written anywhere;
2. build a :class:`~cerkit.verify.trust.TrustStore` from the trust material (bad material
   is shown with its reason code and nothing is verified: a typo must not look like
   "untrusted");
3. split the text into documents: one JSON document, or JSON Lines, each line alone;
4. verify each with :func:`cerkit.verify.documents.verify_document` (the library's
   verifier: records and project bundles);
5. render a batch summary and the reports, failing ones first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from cerkit.errors import CerkitError, Reason
from cerkit.jsonio import loads
from cerkit.portal.report_view import report_view
from cerkit.portal.templating import page
from cerkit.verify.documents import verify_document
from cerkit.verify.report import Report
from cerkit.verify.trust import TrustStore

#: The largest upload or paste verified (one record or a batch): bounded memory per request.
MAX_UPLOAD_BYTES: Final[int] = 8 * 1024 * 1024
#: Lines of a .jsonl batch verified per request (each report is rendered in the page).
MAX_BATCH_LINES: Final[int] = 10_000
#: The largest piece of trust material: a key document or a checkpoint is a few kilobytes;
#: a trust bundle with many nodes stays far below this.
MAX_TRUST_BYTES: Final[int] = 256 * 1024
#: Form parts: the record (file and paste) and three trust items (file and paste each).
MAX_FIELDS: Final[int] = 8
MAX_FILES: Final[int] = 4

#: The trust items of the form: field name -> what it is, for error messages.
TRUST_FIELDS: Final[dict[str, str]] = {
    "nodekey": "node key document",
    "producerkey": "producer public key",
    "checkpoint": "saved checkpoint",
}


class FormProblem(CerkitError):
    """The form cannot be verified as sent (too large, unreadable trust material)."""


@dataclass(frozen=True, slots=True)
class Batch:
    """The reports of one submission and its counts."""

    reports: tuple[Report, ...]

    def counts(self) -> dict[str, int]:
        verdicts = [r.verdict for r in self.reports]
        return {
            "total": len(verdicts),
            "verified": verdicts.count("VERIFIED"),
            "failed": verdicts.count("FAILED"),
            "error": verdicts.count("ERROR"),
        }


async def _text(form: FormData, name: str, limit: int) -> tuple[str, str | None]:
    """The field ``name``: the uploaded ``name_file`` when one was chosen, else the pasted
    text; with the upload's file name (None for pasted text)."""
    upload = form.get(name + "_file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(limit + 1)
        if len(data) > limit:
            raise FormProblem(f"{upload.filename} is over {limit} bytes", Reason.INPUT_TOO_LARGE)
        return data.decode("utf-8", "replace"), upload.filename
    pasted = form.get(name)
    # Browsers send a textarea's line breaks as CRLF (HTML, "textarea wrapping"); a signed
    # note's lines end in LF alone, and its signature covers them.
    text = pasted.replace("\r\n", "\n") if isinstance(pasted, str) else ""
    if len(text) > limit:
        raise FormProblem(f"the pasted text is over {limit} bytes", Reason.INPUT_TOO_LARGE)
    return text, None


def trust_from_texts(texts: dict[str, str]) -> TrustStore | None:
    """(2) The trust store the page's trust fields describe; None when all are empty.

    Raises:
        FormProblem: an item is not what its field expects (reason of the library's error).
    """
    trust = TrustStore()
    given = False
    for name, text in texts.items():
        if not text.strip():
            continue
        given = True
        try:
            if name == "nodekey":
                trust = trust.merged(TrustStore.from_json(loads(text)))
            elif name == "producerkey":
                trust = trust.with_producer_key(text.strip())
            else:
                trust = trust.with_checkpoint(text.strip() + "\n")
        except CerkitError as exc:
            raise FormProblem(f"{TRUST_FIELDS[name]}: {exc.message}", exc.reason) from None
    return trust if given else None


def _documents(text: str, source: str) -> list[tuple[str, Any]]:
    """(3) ``(source, document_or_error)``: the whole text as one JSON document when it is
    one, else JSON Lines (a line that is not JSON fails alone)."""
    try:
        return [(source, loads(text))]
    except CerkitError as whole:
        lines = [line for line in text.splitlines() if line.strip()]
        if source.endswith(".jsonl") or (len(lines) > 1 and _parses(lines[0])):
            found: list[tuple[str, Any]] = []
            for number, line in enumerate(lines[:MAX_BATCH_LINES], 1):
                try:
                    found.append((f"{source}:{number}", loads(line)))
                except CerkitError as exc:
                    found.append((f"{source}:{number}", exc))
            return found
        return [(source, whole)]


def _parses(line: str) -> bool:
    try:
        loads(line)
    except CerkitError:
        return False
    return True


def verify_text(text: str, source: str, trust: TrustStore | None = None) -> Batch:
    """(3)-(4) Verify one JSON document or a JSON Lines batch; failing reports first."""
    reports = [
        verify_document(where, item, trust=trust) for where, item in _documents(text, source)
    ]
    reports.sort(key=lambda r: r.ok)  # stable: failing lines first, each group in order
    return Batch(tuple(reports))


class VerifyPage:
    """``GET /`` and ``POST /verify``; ``trust`` is what the server itself trusts (``cerkit ui
    --trust``, a node's own key document), merged with the material given on the page."""

    def __init__(self, trust: TrustStore | None, *, api: Sequence[tuple[str, str]] = ()) -> None:
        self.trust = trust
        self.api = list(api)

    async def home(self, request: Request) -> Response:
        """``GET /``: the empty form."""
        return page("verify.html", batch=None, error=None, trust={}, api=self.api)

    def _answer(self, status: int, pasted: dict[str, str], **values: Any) -> Response:
        return page("verify.html", status, trust=pasted, api=self.api, **values)

    async def verify(self, request: Request) -> Response:
        """``POST /verify``: verify what the form holds (steps 1-5)."""
        form = await request.form(
            max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_UPLOAD_BYTES
        )
        pasted = {name: str(form.get(name) or "") for name in TRUST_FIELDS}
        try:
            # (1) read, (2) trust material
            text, filename = await _text(form, "record", MAX_UPLOAD_BYTES)
            texts = {name: (await _text(form, name, MAX_TRUST_BYTES))[0] for name in TRUST_FIELDS}
            given = trust_from_texts(texts)
        except FormProblem as exc:
            status = 413 if exc.reason is Reason.INPUT_TOO_LARGE else 400
            return self._answer(status, pasted, batch=None, error=f"{exc.reason}: {exc.message}")
        if not text.strip():
            error = f"{Reason.NOT_PRESENT}: choose, drop or paste a record first"
            return self._answer(400, pasted, batch=None, error=error)
        trust = self.trust if given is None else given.merged(self.trust or TrustStore())
        # (3), (4) off the event loop: a batch of 10,000 records takes a while, and the node
        # serving this page must keep answering its API meanwhile.
        batch = await run_in_threadpool(verify_text, text, filename or "pasted", trust)
        views = [report_view(r) for r in batch.reports]  # (5)
        return self._answer(
            200,
            pasted,
            batch=batch.counts(),
            reports=views,
            error=None,
            given=given is not None,
            trusted=trust is not None,
        )
