"""The portal's Starlette app: its pages, its routes table, and the strict headers.

:class:`Portal` holds the handlers over one :class:`~cerkit.portal.source.Source`;
:meth:`Portal.routes` is the one routes table (a line per route), which ``cerkit ui`` serves
alone (:func:`create_portal`) and ``cerkit node serve`` beside its API. Uploaded or pasted
records are verified in memory by :func:`cerkit.verify.verify_bundle` and never stored;
no route writes to the ledger (only ``POST /verify`` takes a body, and keeps nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cerkit.errors import CerkitError, OperationalError, Reason, RequestError
from cerkit.jsonio import dumps, loads
from cerkit.ledger.base import OUTPUT_VERDICTS, RecordStore
from cerkit.portal import record as record_view
from cerkit.portal.ledger import page_links, parse_request
from cerkit.portal.source import Source, StoreSource, is_certificate_hash
from cerkit.verify import verify_bundle
from cerkit.verify.report import Report
from cerkit.verify.trust import TrustStore

_HERE: Final[Path] = Path(__file__).parent
#: The largest upload or paste verified (one record or a batch): bounded memory per request.
MAX_UPLOAD_BYTES: Final[int] = 8 * 1024 * 1024
#: Lines of a .jsonl batch verified per request.
MAX_BATCH_LINES: Final[int] = 10_000
#: The longest record reference (hash, prefix or executionId) looked up.
MAX_REF_CHARS: Final[int] = 512
#: Every answer's security headers (docs/portal.md, "Hostile records").
SECURITY_HEADERS: Final[dict[str, str]] = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self';"
    " img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none';"
    " form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
#: HTTP status of a page answering an error, by reason.
_STATUS: Final[dict[str, int]] = {str(Reason.BAD_REQUEST): 400, str(Reason.NOT_FOUND): 404}

_env = Environment(
    loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(default=True)
)
_env.tests["certificate_hash"] = is_certificate_hash


class SecurityHeaders:
    """Adds :data:`SECURITY_HEADERS` to every HTTP answer of the wrapped app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _page(name: str, status: int = 200, **values: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**values), status_code=status)


def _error_page(exc: CerkitError, ref: str = "") -> HTMLResponse:
    status = 503 if isinstance(exc, OperationalError) else _STATUS.get(str(exc.reason), 400)
    return _page("missing.html", status, ref=ref, reason=str(exc.reason), why=exc.message)


def pretty_json(value: Any) -> str:
    """``value`` as indented JSON, by orjson (the standard library's indented encoder is
    pure Python, and a record page prints the whole record: bench/portal.py); integers
    beyond 64 bits and lone surrogates, which orjson refuses, by :func:`cerkit.jsonio.dumps`.
    Either way the text parses back to the same values, so a download verifies."""
    try:
        return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return dumps(value, pretty=True)


def verify_text(text: str, source: str, trust: TrustStore | None = None) -> list[Report]:
    """Verify one JSON document or a JSON Lines batch; a line that is not JSON fails alone."""
    stripped = text.strip()
    lines = [stripped] if stripped.startswith("{") and "\n" not in stripped else None
    if lines is None:
        try:
            return [verify_bundle(loads(stripped), source=source, trust=trust)]
        except CerkitError:
            lines = [line for line in stripped.splitlines() if line.strip()][:MAX_BATCH_LINES]
    reports = []
    for number, line in enumerate(lines, 1):
        where = f"{source}:{number}" if len(lines) > 1 else source
        try:
            document = loads(line)
        except CerkitError as exc:
            report = Report(certificate_hash="", source=where)
            report.notes.append(f"{exc.reason}: {exc.message}")
            reports.append(report)
            continue
        reports.append(verify_bundle(document, source=where, trust=trust))
    reports.sort(key=lambda r: r.ok)  # failing lines first
    return reports


class Portal:
    """The pages, over one read-only :class:`~cerkit.portal.source.Source`.

    ``api``: ``(path, what)`` pairs the home page lists (the node names its endpoints);
    ``node_hint``: record pages suggest ``cerkit verify --node <this server>``.
    """

    def __init__(
        self,
        source: Source,
        *,
        api: Sequence[tuple[str, str]] = (),
        node_hint: bool = False,
    ) -> None:
        self.source = source
        self.api = list(api)
        self.node_hint = node_hint

    async def home(self, request: Request) -> Response:
        return _page("verify.html", reports=None, api=self.api)

    async def verify(self, request: Request) -> Response:
        form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_UPLOAD_BYTES)
        upload = form.get("file")
        text, source = str(form.get("json") or ""), "pasted"
        if upload is not None and not isinstance(upload, str) and upload.filename:
            text, source = (
                (await upload.read(MAX_UPLOAD_BYTES + 1)).decode("utf-8", "replace"),
                (upload.filename),
            )
        if len(text) > MAX_UPLOAD_BYTES:
            error = "INPUT_TOO_LARGE: upload too large"
            return _page("verify.html", 413, reports=[], error=error, api=self.api)
        trust = self.source.trust
        reports = await asyncio.to_thread(verify_text, text, source, trust) if text.strip() else []
        reports_json = [r.to_dict() for r in reports]
        return _page("verify.html", reports=reports_json, error=None, api=self.api)

    def records(self, request: Request) -> Response:
        """``GET /records``: one keyset page of the ledger, filtered (runs in a thread)."""
        try:
            asked = parse_request(request.query_params, self.source)
            page = self.source.page(asked.query, asked.cursor, asked.newer)
        except CerkitError as exc:
            return _error_page(exc)
        return _page(
            "ledger.html",
            page=page,
            form=asked.form,
            query=asked.query,
            links=page_links(asked, page),
            filters=self.source.filters,
            label=self.source.label,
            verdicts=OUTPUT_VERDICTS,
        )

    def _found(self, ref: str) -> tuple[str, dict[str, Any]]:
        if len(ref) > MAX_REF_CHARS:
            message = f"a reference is at most {MAX_REF_CHARS} characters"
            raise RequestError(message, Reason.BAD_REQUEST)
        cert = self.source.resolve(ref)
        bundle = self.source.get(cert) if cert else None
        if cert is None or bundle is None:
            raise RequestError(f"no such record in this {self.source.label}", Reason.NOT_FOUND)
        return cert, bundle

    def record(self, request: Request) -> Response:
        """``GET /c/{ref}``: a record by hash, hash prefix or executionId (in a thread)."""
        ref = request.path_params["ref"]
        try:
            cert, bundle = self._found(ref)
        except CerkitError as exc:
            return _error_page(exc, ref)
        report = verify_bundle(bundle, source=cert, trust=self.source.trust)
        return _page(
            "record.html",
            cert=cert,
            bundle=bundle,
            report=report.to_dict(),
            sections=record_view.sections(bundle),
            meta=record_view.meta_parts(bundle, report),
            pretty=pretty_json(bundle),
            file=download_name(cert),
            verify_hint=f" --node {str(request.base_url).rstrip('/')}" if self.node_hint else "",
        )

    def download(self, request: Request) -> Response:
        """``GET /c/{ref}.json``: the record as a file to verify elsewhere (in a thread)."""
        ref = request.path_params["ref"]
        try:
            cert, bundle = self._found(ref)
        except CerkitError as exc:
            return _error_page(exc, ref)
        disposition = f'attachment; filename="{download_name(cert)}"'
        return Response(
            pretty_json(bundle) + "\n",
            media_type="application/json",
            headers={"content-disposition": disposition},
        )

    def routes(self, *, headers: bool = True) -> list[BaseRoute]:
        """The portal's routes (one line each), each answer with :data:`SECURITY_HEADERS`
        unless ``headers`` is False (the caller wraps the whole app instead)."""
        strict = [Middleware(SecurityHeaders)] if headers else None
        files = StaticFiles(directory=_HERE / "static")
        static = SecurityHeaders(files) if headers else files
        return [
            Route("/", self.home, methods=["GET"], middleware=strict),
            Route("/verify", self.verify, methods=["POST"], middleware=strict),
            Route("/records", self.records, methods=["GET"], middleware=strict),
            Route("/c/{ref}.json", self.download, methods=["GET"], middleware=strict),
            Route("/c/{ref}", self.record, methods=["GET"], middleware=strict),
            Mount("/static", static, name="static"),
        ]


def download_name(certificate_hash: str) -> str:
    """``sha256-<first 16 hex>.json``: a file name from a validated hash, nothing else."""
    if not is_certificate_hash(certificate_hash):
        return "record.json"
    return f"sha256-{certificate_hash[7:23]}.json"


def create_portal(store: RecordStore, trust: TrustStore | None = None) -> ASGIApp:
    """The portal's ASGI app over ``store`` (read-only), verifying against ``trust``.

    >>> # uvicorn.run(create_portal(open_record_store(None)), host="127.0.0.1", port=8765)
    """
    return portal_app(Portal(StoreSource(store, trust)))


def portal_app(portal: Portal) -> ASGIApp:
    """``portal`` as an app of its own: every answer, a 404 included, with the headers."""
    return SecurityHeaders(Starlette(routes=portal.routes(headers=False)))
