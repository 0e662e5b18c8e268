"""The portal's Starlette app: the verify page and the record page, with strict headers.

Uploaded or pasted records are verified in memory by :func:`cerkit.verify.verify_bundle`
and never stored. The portal exposes no write action on the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cerkit.errors import CerkitError
from cerkit.jsonio import dumps, loads
from cerkit.ledger.base import RecordStore, resolve_certificate_hash
from cerkit.verify import verify_bundle
from cerkit.verify.report import Report

_HERE: Final[Path] = Path(__file__).parent
#: The largest upload or paste verified (one record or a batch): bounded memory per request.
MAX_UPLOAD_BYTES: Final[int] = 8 * 1024 * 1024
#: Lines of a .jsonl batch verified per request.
MAX_BATCH_LINES: Final[int] = 10_000
#: Every answer's security headers (docs/portal.md, "Hostile records").
SECURITY_HEADERS: Final[dict[str, str]] = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self';"
    " img-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none';"
    " form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}

_env = Environment(
    loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(default=True)
)


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


def _page(name: str, **values: Any) -> HTMLResponse:
    return HTMLResponse(_env.get_template(name).render(**values))


def verify_text(text: str, source: str) -> list[Report]:
    """Verify one JSON document or a JSON Lines batch; a line that is not JSON fails alone."""
    stripped = text.strip()
    lines = [stripped] if stripped.startswith("{") and "\n" not in stripped else None
    if lines is None:
        try:
            return [verify_bundle(loads(stripped), source=source)]
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
        reports.append(verify_bundle(document, source=where))
    reports.sort(key=lambda r: r.ok)  # failing lines first
    return reports


class Portal:
    """The pages, over one record store."""

    def __init__(self, store: RecordStore) -> None:
        self.store = store

    async def home(self, request: Request) -> Response:
        return _page("verify.html", reports=None)

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
            return _page("verify.html", reports=[], error="INPUT_TOO_LARGE: upload too large")
        reports = verify_text(text, source) if text.strip() else []
        return _page("verify.html", reports=[r.to_dict() for r in reports], error=None)

    async def record(self, request: Request) -> Response:
        ref = request.path_params["ref"]
        try:
            cert = resolve_certificate_hash(self.store, ref)
        except CerkitError as exc:
            return _page("missing.html", ref=ref, why=exc.message)
        bundle = self.store.get(cert) if cert else None
        if bundle is None:
            return _page("missing.html", ref=ref, why="no such record in this store")
        report = verify_bundle(bundle, source=cert or "")
        return _page(
            "record.html", bundle=bundle, report=report.to_dict(), pretty=dumps(bundle, pretty=True)
        )


def create_portal(store: RecordStore) -> ASGIApp:
    """The portal's ASGI app over ``store`` (read-only)."""
    portal = Portal(store)
    app = Starlette(
        routes=[
            Route("/", portal.home, methods=["GET"]),
            Route("/verify", portal.verify, methods=["POST"]),
            Route("/c/{ref}", portal.record, methods=["GET"]),
            Mount("/static", StaticFiles(directory=_HERE / "static"), name="static"),
        ]
    )
    return SecurityHeaders(app)
