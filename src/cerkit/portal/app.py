"""The portal's Starlette app: the verify page and the record page, with strict headers.

Each page lives in its own module (``pages_*.py``); this one holds the routes and the
headers. Uploaded or pasted records are verified in memory (:mod:`.pages_verify`)
and never stored. The portal exposes no write action on the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cerkit.errors import CerkitError
from cerkit.jsonio import dumps
from cerkit.ledger.base import RecordStore, resolve_certificate_hash
from cerkit.portal import pages_verify
from cerkit.portal.logsource import LogSource
from cerkit.portal.pages_diff import DiffPage
from cerkit.portal.pages_drift import DriftPages
from cerkit.portal.pages_log import LogPage
from cerkit.portal.report_view import report_view
from cerkit.portal.templating import page
from cerkit.verify import verify_bundle

_HERE: Final[Path] = Path(__file__).parent
#: Every answer's security headers (docs/portal.md, "Hostile records").
SECURITY_HEADERS: Final[dict[str, str]] = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self';"
    " img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none';"
    " form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


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


class Portal:
    """The pages, over one record store."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store

    async def record(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        try:
            cert = resolve_certificate_hash(self.store, ref)
        except CerkitError as exc:
            return page("missing.html", ref=ref, why=exc.message)
        bundle = self.store.get(cert) if cert else None
        if bundle is None:
            return page("missing.html", ref=ref, why="no such record in this store")
        report = verify_bundle(bundle, source=cert or "")
        return page(
            "record.html",
            bundle=bundle,
            report=report_view(report),
            pretty=dumps(bundle, pretty=True),
        )


def create_portal(store: RecordStore, *, log: LogSource | None = None) -> ASGIApp:
    """The portal's ASGI app over ``store`` (read-only), and ``log`` for the log page."""
    portal = Portal(store)
    drift = DriftPages(store)
    app = Starlette(
        routes=[
            Route("/", pages_verify.home, methods=["GET"]),
            Route("/verify", pages_verify.verify, methods=["POST"]),
            Route("/c/{ref}", portal.record, methods=["GET"]),
            Route("/diff", DiffPage(store).show, methods=["GET"]),
            Route("/drift", drift.keys, methods=["GET"]),
            Route("/drift/{key}", drift.timeline, methods=["GET"]),
            Route("/log", LogPage(log).show, methods=["GET", "POST"]),
            Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
        ]
    )
    return SecurityHeaders(app)
