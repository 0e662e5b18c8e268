"""A local stand-in for OpenAI- and Anthropic-compatible HTTP APIs, for tests and the demo.

It is not a model: it answers ``POST /v1/chat/completions``, ``/v1/responses`` and
``/v1/messages`` on loopback in the exact shapes the official SDKs parse (JSON, and SSE
streams with chunked transfer), with settings a test can change while it runs: which model
an alias is served by, the ``system_fingerprint``, the answer, a delay, provider errors to
return, a stream connection to drop after N events, and the parameter defaults the server
applies (echoed by the Responses API). Every request it received is kept, headers included.

In process::

    with StandIn(aliases={"gpt-4o": "gpt-4o-2024-08-06"}) as server:
        client = openai.OpenAI(base_url=server.openai_url, api_key="sk-test")

As a process (the benchmark runs it apart from the client it measures)::

    python -m cerkit.integrations.standin --port 0      # prints its URL, serves until killed

and ``POST /_standin`` with a JSON object of settings changes them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cerkit.integrations import _standin_replies as replies

_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
# Events written per socket write: a long stream (thousands of events) stays cheap to serve.
_BATCH = 64


@dataclass
class Settings:
    """What the stand-in answers; change the attributes at any time."""

    aliases: dict[str, str] = field(default_factory=dict)
    fingerprint: str = "fp_standin01"
    answer: str | None = None
    latency: float = 0.0
    errors: list[dict[str, Any]] = field(default_factory=list)
    drop_after: int | None = None
    defaults: dict[str, Any] = field(default_factory=dict)

    def served(self, requested: str) -> str:
        return self.aliases.get(requested, requested)

    def answer_for(self, served: str, body: replies.Body) -> str:
        if self.answer is not None:
            return self.answer
        return f"{served} answers: {replies.last_user_text(body)}".strip()


class StandIn:
    """The server; a context manager that serves on a background thread."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **settings: Any) -> None:
        self.settings = Settings(**settings)
        self.requests: list[dict[str, Any]] = []
        self._count = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._server.daemon_threads = True
        self._server.standin = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_url(self) -> str:
        """The ``base_url`` for ``openai.OpenAI``."""
        return self.url + "/v1"

    @property
    def anthropic_url(self) -> str:
        """The ``base_url`` for ``anthropic.Anthropic``."""
        return self.url

    def repoint(self, alias: str, served: str) -> None:
        """Serve ``alias`` by another model from now on (what providers do to aliases)."""
        self.settings.aliases[alias] = served

    def next_number(self) -> int:
        with self._lock:
            self._count += 1
            return self._count

    def start(self) -> StandIn:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="cerkit-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        self._server.serve_forever()


def _request_id(flavor: str) -> str:
    if flavor == "anthropic":  # Anthropic's ids: req_011C + base58
        return "req_011C" + "".join(_BASE58[b % 58] for b in os.urandom(20))
    return "req_" + os.urandom(16).hex()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: with Nagle's algorithm on, the second one
    # waits for the client's delayed ACK (40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    @property
    def standin(self) -> StandIn:
        return self.server.standin  # type: ignore[attr-defined, no-any-return]

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self._json(400, {"error": {"message": "body is not JSON"}}, "openai")
        path = self.path.split("?")[0]
        if path == "/_standin":
            return self._configure(body)
        flavor = "anthropic" if path.endswith("/messages") else "openai"
        standin = self.standin
        standin.requests.append({"path": path, "headers": dict(self.headers), "body": body})
        settings = standin.settings
        if settings.latency:
            time.sleep(settings.latency)
        if settings.errors:
            return self._error(settings.errors.pop(0), flavor)
        route = {
            "/v1/chat/completions": self._chat,
            "/v1/responses": self._responses,
            "/v1/messages": self._messages,
        }.get(path)
        if route is None:
            return self._json(404, {"error": {"message": f"no route {path}"}}, flavor)
        route(body, settings, standin.next_number())

    def _configure(self, body: dict[str, Any]) -> None:
        names = {f.name for f in fields(Settings)}
        for name, value in body.items():
            if name in names:
                setattr(self.standin.settings, name, value)
        self._json(200, {"ok": True}, "openai")

    def _chat(self, body: dict[str, Any], settings: Settings, n: int) -> None:
        served = settings.served(str(body.get("model")))
        answer = settings.answer_for(served, body)
        if body.get("stream"):
            lines = replies.chat_chunks(body, served, settings.fingerprint, answer, n)
            return self._stream(((None, line) for line in lines), "openai")
        completion = replies.chat_completion(body, served, settings.fingerprint, answer, n)
        self._json(200, completion, "openai")

    def _responses(self, body: dict[str, Any], settings: Settings, n: int) -> None:
        served = settings.served(str(body.get("model")))
        answer = settings.answer_for(served, body)
        if body.get("stream"):
            events = replies.response_events(body, served, answer, n, settings.defaults)
            return self._stream(events, "openai")
        self._json(200, replies.response_object(body, served, answer, n, settings.defaults))

    def _messages(self, body: dict[str, Any], settings: Settings, n: int) -> None:
        served = settings.served(str(body.get("model")))
        answer = settings.answer_for(served, body)
        if body.get("stream"):
            return self._stream(replies.anthropic_events(body, served, answer, n), "anthropic")
        self._json(200, replies.anthropic_message(body, served, answer, n), "anthropic")

    def _error(self, error: dict[str, Any], flavor: str) -> None:
        status = int(error.get("status", 500))
        kind, message = error.get("type", "server_error"), error.get("message", "stand-in error")
        if flavor == "anthropic":
            payload: dict[str, Any] = {"type": "error", "error": {"type": kind, "message": message}}
        else:
            inner = {"message": message, "type": kind, "param": None, "code": error.get("code")}
            payload = {"error": inner}
        self._json(status, payload, flavor)

    def _json(self, status: int, payload: Any, flavor: str = "openai") -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self._ids(flavor)
        self.end_headers()
        self.wfile.write(data)

    def _ids(self, flavor: str) -> None:
        rid = _request_id(flavor)
        self.send_header("request-id" if flavor == "anthropic" else "x-request-id", rid)

    def _stream(self, events: Iterable[tuple[str | None, str]], flavor: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self._ids(flavor)
        self.end_headers()
        drop = self.standin.settings.drop_after
        batch: list[bytes] = []
        # SSE frames by event: a repeated event (the same text delta) is encoded once.
        frames: dict[tuple[str | None, str], bytes] = {}
        for index, event in enumerate(events):
            if drop is not None and index >= drop:
                self._write(batch)
                return self._drop()
            frame = frames.get(event)
            if frame is None:
                name, data = event
                prefix = f"event: {name}\n" if name else ""
                frame = frames[event] = f"{prefix}data: {data}\n\n".encode()
            batch.append(frame)
            if len(batch) >= _BATCH:
                batch = self._write(batch)
        self._write(batch)
        self.wfile.write(b"0\r\n\r\n")

    def _write(self, batch: list[bytes]) -> list[bytes]:
        if batch:
            data = b"".join(batch)
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        return []

    def _drop(self) -> None:
        # Cut the connection mid-stream, without the chunked terminator: what a dropped
        # network connection looks like to the client.
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


def main(argv: list[str] | None = None) -> None:
    """Serve until killed; the first line printed is the stand-in's URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--alias", action="append", default=[], help="REQUESTED=SERVED")
    args = parser.parse_args(argv)
    aliases = dict(item.split("=", 1) for item in args.alias)
    standin = StandIn(port=args.port, aliases=aliases)
    print(standin.url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin.serve_forever()


if __name__ == "__main__":
    main()

__all__ = ["Settings", "StandIn", "main"]
