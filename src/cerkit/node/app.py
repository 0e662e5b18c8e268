"""The attestation node's HTTP layer: a Starlette app over :class:`NodeService`.

Thin on purpose: each endpoint parses its request, calls the service (off the event loop
when it touches the store) and renders JSON with orjson. Writes need a bearer token; reads
are public. Every rejection is ``{"error": {"code": REASON, "message": ...}}`` with a 4xx
status and changes nothing. Endpoints are listed in docs/node.md.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from cerkit import __version__
from cerkit.attestation import encode_hashes
from cerkit.errors import (
    CerkitError,
    InvalidRecordError,
    OperationalError,
    Reason,
    RequestError,
)
from cerkit.ledger.base import TokenStore
from cerkit.node.batch import atomic_flag, parse_batch
from cerkit.node.batcher import Batcher
from cerkit.node.bodies import BodyBudget, json_body
from cerkit.node.config import KeySource
from cerkit.node.limits import (
    BODY_TIMEOUT_SECONDS,
    INLINE_PARSE_BYTES,
    KEY_RELOAD_SECONDS,
    LARGE_BODY_BUDGET_BYTES,
    LOG_CHECK_SECONDS,
    MAX_ENTRIES_PAGE,
    MAX_LOG_INDEX,
)
from cerkit.node.maintenance import Maintenance
from cerkit.node.metrics import CONTENT_TYPE_LATEST, NodeMetrics
from cerkit.node.openapi import openapi_document
from cerkit.node.portal import node_portal
from cerkit.node.service import NodeService
from cerkit.node.submission import check_stored_bundle, dump_json, parse_submission
from cerkit.node.tokens import Authenticator, bearer_secret

Handler = Callable[[Request], Awaitable[Response]]

#: HTTP status for each rejection reason; anything else invalid is 422, operational 503.
_STATUS = {
    Reason.UNAUTHORIZED: 401,
    Reason.NOT_FOUND: 404,
    Reason.INPUT_TOO_LARGE: 413,
    Reason.UNSUPPORTED_MEDIA_TYPE: 415,
    Reason.REQUEST_TIMEOUT: 408,
    Reason.OVERLOADED: 503,
    Reason.MALFORMED_JSON: 400,
    Reason.INPUT_TOO_DEEP: 400,
    Reason.BAD_REQUEST: 400,
}


class JSONBytes(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dump_json(content)


#: Answers after which the rest of the request body may still be on the wire: close the
#: connection rather than read it (RFC 9110 §15.5.9, §15.5.14).
_CLOSE_AFTER = frozenset((408, 413, 415, 503))


def error_response(code: str, message: str, status: int) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status in _CLOSE_AFTER:
        headers = {"Connection": "close"}
    body = {"error": {"code": code, "message": message}}
    return JSONBytes(body, status_code=status, headers=headers)


def _status_for(exc: CerkitError) -> int:
    if isinstance(exc, OperationalError):
        return 503
    if exc.reason in _STATUS:
        return _STATUS[exc.reason]
    return 422 if isinstance(exc, InvalidRecordError) else 400


def _int_param(request: Request, name: str, default: int | None = None) -> int:
    value = request.query_params.get(name)
    if value is None:
        if default is None:
            raise RequestError(f"query parameter {name} is required", Reason.BAD_REQUEST)
        return default
    # ASCII digits only: str.isdigit() also accepts "²" and fullwidth digits, which int()
    # then refuses or reads; and a bound, so start + a page stays a 64-bit database integer.
    digits = value.isascii() and value.isdigit() and len(value) <= len(str(MAX_LOG_INDEX))
    if not digits or int(value) > MAX_LOG_INDEX:
        message = f"{name} must be an integer from 0 to {MAX_LOG_INDEX}"
        raise RequestError(message, Reason.BAD_REQUEST)
    return int(value)


class NodeApp:
    """Builds the Starlette app; one instance per running node."""

    def __init__(
        self, service: NodeService, tokens: TokenStore, bounds: Bounds | None = None
    ) -> None:
        bounds = bounds or Bounds()
        self.service = service
        self.body_timeout = bounds.body_timeout
        self.metrics = NodeMetrics()
        self.maintenance = Maintenance(
            service,
            self.metrics,
            bounds.keys,
            log_check_seconds=bounds.log_check_seconds,
            key_reload_seconds=bounds.key_reload_seconds,
        )
        self.auth = Authenticator(tokens)
        self.batcher: Batcher | None = None
        self.budget = BodyBudget(bounds.body_budget)

    async def _authorize(self, request: Request) -> None:
        secret = bearer_secret(request.headers.get("authorization"))
        if secret is None:
            raise RequestError("a bearer token is required for writes", Reason.UNAUTHORIZED)
        valid = self.auth.cached(secret)
        if valid is None:
            valid = await asyncio.to_thread(self.auth.check, secret)
        if not valid:
            raise RequestError("the bearer token is not valid", Reason.UNAUTHORIZED)

    async def attest(self, request: Request) -> Response:
        started = time.perf_counter()
        try:
            await self._authorize(request)
            async with json_body(request, self.budget, self.body_timeout) as body:
                if len(body) > INLINE_PARSE_BYTES:  # keep the event loop free for others
                    submission = await asyncio.to_thread(parse_submission, body)
                else:
                    submission = parse_submission(body)
        except CerkitError:
            self.metrics.count_attestations("rejected")
            raise
        assert self.batcher is not None
        result = await self.batcher.submit(submission)
        self.metrics.count_attestations("created" if result.created else "existing")
        self.metrics.attest_latency.observe(time.perf_counter() - started)
        return JSONBytes(result.to_json(), status_code=201 if result.created else 200)

    async def attest_batch(self, request: Request) -> Response:
        """``POST /v1/attest/batch`` (:mod:`cerkit.node.batch`): each record answered alone."""
        await self._authorize(request)
        atomic = atomic_flag(request.query_params.get("atomic"))
        async with json_body(request, self.budget, self.body_timeout) as body:
            batch = await asyncio.to_thread(parse_batch, body, atomic)
        self.metrics.count_attestations("rejected", len(batch.failures))
        if batch.failures and batch.atomic:
            return JSONBytes(batch.rejection(), status_code=422)
        assert self.batcher is not None
        results = await self.batcher.submit_group(batch.submissions)
        created = sum(r.created for r in results)
        self.metrics.count_attestations("created", created)
        self.metrics.count_attestations("existing", len(results) - created)
        answer = await asyncio.to_thread(lambda: dump_json(batch.answer(results)))
        return Response(answer, media_type=JSONBytes.media_type)

    async def record(self, request: Request) -> Response:
        cert = request.path_params["certificate_hash"]
        found = await asyncio.to_thread(self.service.attestation_of, cert)
        stored = await asyncio.to_thread(self.service.store.bundle, cert)
        if found is None or stored is None:
            raise RequestError(f"no record {cert[:80]} in this log", Reason.NOT_FOUND)
        try:  # never serve a rewritten copy as the logged record
            bundle = await asyncio.to_thread(
                check_stored_bundle, found.entry.certificate_hash, stored
            )
        except InvalidRecordError as exc:
            self.metrics.bundle_mismatches.inc()
            raise OperationalError(exc.message, exc.reason) from None
        return JSONBytes({**found.to_json(), "bundle": bundle})

    async def verify(self, request: Request) -> Response:
        async with json_body(request, self.budget, self.body_timeout) as body:
            return JSONBytes(await asyncio.to_thread(self.service.verify, body))

    async def key_document(self, request: Request) -> Response:
        return JSONBytes(self.service.identity.document.to_json())

    async def nexart_document(self, request: Request) -> Response:
        return JSONBytes(self.service.identity.document.to_nexart_wellknown())

    async def checkpoint(self, request: Request) -> Response:
        note = await asyncio.to_thread(self.service.checkpoint)
        return PlainTextResponse(note)

    async def inclusion(self, request: Request) -> Response:
        cert = request.query_params.get("hash")
        if cert is not None:
            entry = await asyncio.to_thread(self.service.store.entry, cert)
            if entry is None:
                raise RequestError(f"no record {cert[:80]} in this log", Reason.NOT_FOUND)
            index = entry.index
        else:
            index = _int_param(request, "index")
        if "treeSize" in request.query_params:
            size = _int_param(request, "treeSize")
        else:  # the latest size, including what other replicas appended
            size = await asyncio.to_thread(self.service.sync)
        proof = await asyncio.to_thread(self.service.inclusion, index, size)
        return JSONBytes({"logIndex": index, "treeSize": size, "hashes": encode_hashes(proof)})

    async def consistency(self, request: Request) -> Response:
        old, new = _int_param(request, "from"), _int_param(request, "to")
        proof = await asyncio.to_thread(self.service.consistency, old, new)
        return JSONBytes({"from": old, "to": new, "hashes": encode_hashes(proof)})

    async def entries(self, request: Request) -> Response:
        start = _int_param(request, "start", 0)
        end = min(_int_param(request, "end", start + MAX_ENTRIES_PAGE), start + MAX_ENTRIES_PAGE)
        rows = await asyncio.to_thread(self.service.store.entries, start, end)
        out = [
            {
                "index": e.index,
                "certificateHash": e.certificate_hash,
                "timestamp": e.timestamp,
                "kid": e.kid,
                "signatureB64Url": e.signature,
            }
            for e in rows
        ]
        return JSONBytes({"start": start, "end": end, "entries": out})

    async def health(self, request: Request) -> Response:
        return JSONBytes({"status": "ok"})

    async def ready(self, request: Request) -> Response:
        await asyncio.to_thread(self.service.store.ping)
        problem = self.service.problem()
        if problem is not None:
            raise problem
        if self.service.save_error is not None:
            raise OperationalError(self.service.save_error, Reason.IO_ERROR)
        return JSONBytes({"status": "ready", "treeSize": self.service.size})

    async def version(self, request: Request) -> Response:
        ident = self.service.identity
        return JSONBytes({"version": __version__, "nodeId": ident.node_id, "kid": ident.kid})

    async def metrics_page(self, request: Request) -> Response:
        self.metrics.log_size.set(self.service.size)
        problem = self.service.problem()
        self.metrics.signing.set(problem is None)
        self.metrics.log_consistent.set(problem is None or problem.reason != "LOG_INCONSISTENT")
        return Response(self.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def openapi(self, request: Request) -> Response:
        return JSONBytes(openapi_document())

    def guard(self, name: str, handler: Handler) -> Handler:
        """Render our errors as JSON and count every answer by endpoint and status."""

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except CerkitError as exc:
                response = error_response(str(exc.reason), exc.message, _status_for(exc))
            self.metrics.count_request(name, response.status_code)
            return response

        return guarded

    def routes(self) -> list[Route]:
        table: list[tuple[str, Handler, list[str]]] = [
            ("/v1/attest", self.attest, ["POST"]),
            ("/api/attest", self.attest, ["POST"]),
            ("/v1/attest/batch", self.attest_batch, ["POST"]),
            ("/v1/records/{certificate_hash}", self.record, ["GET"]),
            ("/v1/verify", self.verify, ["POST"]),
            ("/.well-known/cerkit-node.json", self.key_document, ["GET"]),
            ("/.well-known/nexart-node.json", self.nexart_document, ["GET"]),
            ("/v1/checkpoint", self.checkpoint, ["GET"]),
            ("/v1/proof/inclusion", self.inclusion, ["GET"]),
            ("/v1/proof/consistency", self.consistency, ["GET"]),
            ("/v1/entries", self.entries, ["GET"]),
            ("/health", self.health, ["GET"]),
            ("/ready", self.ready, ["GET"]),
            ("/version", self.version, ["GET"]),
            ("/metrics", self.metrics_page, ["GET"]),
            ("/openapi.json", self.openapi, ["GET"]),
        ]
        return [Route(path, self.guard(path, h), methods=m) for path, h, m in table]

    @asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        self.batcher = Batcher(self.service, observe=self.metrics.observe_batch)
        self.batcher.start()
        self.maintenance.start()
        try:
            yield
        finally:
            await self.maintenance.stop()
            await self.batcher.stop()


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: Reason.NOT_FOUND, 405: Reason.BAD_REQUEST}.get(exc.status_code, "HTTP_ERROR")
    response = error_response(str(code), str(exc.detail), exc.status_code)
    response.headers.update(exc.headers or {})  # e.g. Allow on 405 (RFC 9110 §15.5.6)
    return response


#: The write paths served by :class:`AttestFirst` without Starlette's router.
ATTEST_PATHS = frozenset(("/v1/attest", "/api/attest"))


class AttestFirst:
    """ASGI front door: ``POST`` to an attest path goes straight to the (guarded) attest
    handler, everything else through Starlette.

    Attestations are nearly all of a busy node's traffic; skipping the middleware stack and
    the route table saves a sizeable share of the per-request CPU (docs/node.md,
    Performance). Errors are rendered by the same guard as on every other endpoint.
    """

    def __init__(self, node: NodeApp, app: Starlette) -> None:
        self.node = node
        self.app = app
        self.state = app.state
        self._attest = node.guard("/v1/attest", node.attest)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in ATTEST_PATHS:
            response = await self._attest(Request(scope, receive))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


@dataclass(frozen=True, slots=True)
class Bounds:
    """A running node's timing and budget knobs, defaulting to :mod:`cerkit.node.limits`
    (tests lower them), and where its keys are re-read from (None: never)."""

    body_timeout: float = BODY_TIMEOUT_SECONDS
    body_budget: int = LARGE_BODY_BUDGET_BYTES
    log_check_seconds: float = LOG_CHECK_SECONDS
    key_reload_seconds: float = KEY_RELOAD_SECONDS
    keys: KeySource | None = None


def create_app(
    service: NodeService, tokens: TokenStore, bounds: Bounds | None = None
) -> AttestFirst:
    """The ASGI app of a node serving ``service``, its writes authorized by ``tokens``.

    >>> # app = create_app(NodeService(open_log_store(url), identity), open_token_store(url))
    >>> # uvicorn.run(app, host="127.0.0.1", port=8080)
    """
    node = NodeApp(service, tokens, bounds)
    app = Starlette(
        routes=[*node.routes(), *node_portal(service).routes()],  # the portal, read-only
        lifespan=node.lifespan,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.node = node
    return AttestFirst(node, app)
