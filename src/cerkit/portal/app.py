"""The portal's Starlette app: its pages, its routes table, and the strict headers.

:class:`Portal` holds the handlers over one :class:`~cerkit.portal.source.Source`;
:meth:`Portal.routes` is the one routes table (a line per route), which ``cerkit ui`` serves
alone (:func:`create_portal`) and ``cerkit node serve`` beside its API. The verify, diff,
drift and log pages live in their own modules (``pages_*.py``). Uploaded or pasted records
are verified in memory (:mod:`.pages_verify`) and never stored; no route writes to the
ledger (``POST /verify`` and ``POST /log`` take a body, and keep nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cerkit.errors import CerkitError, OperationalError, Reason, RequestError
from cerkit.jsonio import dumps
from cerkit.ledger.base import OUTPUT_VERDICTS, RecordStore
from cerkit.portal import record as record_view
from cerkit.portal.ledger import page_links, parse_request
from cerkit.portal.logview import LogView
from cerkit.portal.pages_diff import DiffPage
from cerkit.portal.pages_drift import DriftPages
from cerkit.portal.pages_log import LogPage
from cerkit.portal.pages_verify import VerifyPage
from cerkit.portal.report_view import report_view
from cerkit.portal.source import Source, StoreSource, is_certificate_hash
from cerkit.portal.templating import page as _page
from cerkit.verify import verify_bundle
from cerkit.verify.trust import TrustStore

_HERE: Final[Path] = Path(__file__).parent
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


class Portal:
    """The pages, over one read-only :class:`~cerkit.portal.source.Source`.

    ``api``: ``(path, what)`` pairs the home page lists (the node names its endpoints);
    ``node_hint``: record pages suggest ``cerkit verify --node <this server>``;
    ``records``: the record store behind the drift pages (a node has none);
    ``log``: the transparency log of the log page (None: the page says how to give one).
    """

    def __init__(
        self,
        source: Source,
        *,
        api: Sequence[tuple[str, str]] = (),
        node_hint: bool = False,
        records: RecordStore | None = None,
        log: LogView | None = None,
    ) -> None:
        self.source = source
        self.api = list(api)
        self.node_hint = node_hint
        self.verify = VerifyPage(source.trust, api=self.api)
        self.diff = DiffPage(source)
        self.drift = DriftPages(records)
        self.log = LogPage(log)

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
            report=report_view(report),
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
            Route("/", self.verify.home, methods=["GET"], middleware=strict),
            Route("/verify", self.verify.verify, methods=["POST"], middleware=strict),
            Route("/records", self.records, methods=["GET"], middleware=strict),
            Route("/c/{ref}.json", self.download, methods=["GET"], middleware=strict),
            Route("/c/{ref}", self.record, methods=["GET"], middleware=strict),
            Route("/diff", self.diff.show, methods=["GET"], middleware=strict),
            Route("/drift", self.drift.keys, methods=["GET"], middleware=strict),
            Route("/drift/{key}", self.drift.timeline, methods=["GET"], middleware=strict),
            Route("/log", self.log.show, methods=["GET", "POST"], middleware=strict),
            Mount("/static", static, name="static"),
        ]


def download_name(certificate_hash: str) -> str:
    """``sha256-<first 16 hex>.json``: a file name from a validated hash, nothing else."""
    if not is_certificate_hash(certificate_hash):
        return "record.json"
    return f"sha256-{certificate_hash[7:23]}.json"


def create_portal(
    store: RecordStore, trust: TrustStore | None = None, *, log: LogView | None = None
) -> ASGIApp:
    """The portal's ASGI app over ``store`` (read-only), verifying against ``trust``, with
    ``log`` on the log page.

    >>> # uvicorn.run(create_portal(open_record_store(None)), host="127.0.0.1", port=8765)
    """
    return portal_app(Portal(StoreSource(store, trust), records=store, log=log))


def portal_app(portal: Portal) -> ASGIApp:
    """``portal`` as an app of its own: every answer, a 404 included, with the headers."""
    return SecurityHeaders(Starlette(routes=portal.routes(headers=False)))
