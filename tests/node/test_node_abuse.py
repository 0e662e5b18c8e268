"""The node under abuse: undeclared media types, slow bodies, many large unfinished bodies."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
from node_checks import InProcessNode, log_size, new_identity, sealed

from cerkit.ledger.sqlite_log import SQLiteLogStore
from cerkit.ledger.sqlite_tokens import SQLiteTokenStore
from cerkit.node.app import Bounds, create_app
from cerkit.node.limits import LARGE_BODY_BUDGET_BYTES, MAX_BODY_BYTES
from cerkit.node.service import NodeService


def _in_process(tmp: Path, **bounds: Any) -> InProcessNode:
    identity = new_identity("abuse")
    service = NodeService(SQLiteLogStore(tmp / "log.db"), identity)
    return InProcessNode(create_app(service, SQLiteTokenStore(tmp / "log.db"), Bounds(**bounds)))


def _start_body(
    port: int, length: int | None, first: bytes = b"{", path: str = "/v1/verify"
) -> socket.socket:
    """A POST whose headers and first body bytes are sent, the rest never."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n{framing}\r\n\r\n"
    )
    if length is None:
        first = b"%x\r\n%s\r\n" % (len(first), first)
    sock.sendall(head.encode() + first)
    return sock


def _answer(sock: socket.socket) -> tuple[int, dict[str, Any], bool]:
    """``(status, JSON body, closed)`` of the one answer on ``sock``."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed without an answer"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    try:
        closed = sock.recv(1) == b""
    except (ConnectionResetError, TimeoutError):
        closed = True
    return int(head[9:12]), json.loads(body[:length]), closed


def test_a_body_not_declared_json_gets_415_before_it_is_read_and_changes_nothing(
    make_node: Any,
) -> None:
    node = make_node()
    token = node.token()
    body = json.dumps(sealed(1)[0]).encode()
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=node.url, timeout=30) as client:
        for media in ("text/plain", "application/x-www-form-urlencoded", "", "json"):
            headers = {**auth, "Content-Type": media} if media else auth
            for path in ("/v1/attest", "/api/attest", "/v1/verify"):
                response = client.post(path, content=body, headers=headers)
                assert response.status_code == 415, (path, media, response.text)
                assert response.json()["error"]["code"] == "UNSUPPORTED_MEDIA_TYPE"
        assert log_size(node.url) == 0
        declared = {**auth, "Content-Type": "application/json; charset=utf-8"}
        assert client.post("/v1/attest", content=body, headers=declared).status_code == 201
        assert log_size(node.url) == 1


def test_slow_bodies_get_408_and_give_their_connection_back(tmp_path: Path) -> None:
    with _in_process(tmp_path, body_timeout=0.5) as node:
        started = time.monotonic()
        slow = [_start_body(node.port, 1000) for _ in range(50)]
        slow += [_start_body(node.port, None, path="/v1/attest") for _ in range(5)]
        for sock in slow[:50]:
            status, body, closed = _answer(sock)
            assert (status, body["error"]["code"], closed) == (408, "REQUEST_TIMEOUT", True)
            sock.close()
        for sock in slow[50:]:  # attest asks for a token first: 401 before any body is read
            assert _answer(sock)[0] == 401
            sock.close()
        assert time.monotonic() - started < 10
        ok = httpx.post(node.url + "/v1/verify", json=sealed(1)[0], timeout=10)
        assert ok.status_code == 200


def test_large_unfinished_bodies_beyond_the_budget_get_503_at_once(make_node: Any) -> None:
    node = make_node()
    held = [
        _start_body(node.port, MAX_BODY_BYTES)
        for _ in range(LARGE_BODY_BUDGET_BYTES // MAX_BODY_BYTES)
    ]
    time.sleep(0.3)  # the node has read their headers and reserved their bytes
    started = time.monotonic()
    extra = _start_body(node.port, MAX_BODY_BYTES)
    status, body, closed = _answer(extra)
    assert (status, body["error"]["code"], closed) == (503, "OVERLOADED", True)
    assert time.monotonic() - started < 5
    small = httpx.post(node.url + "/v1/verify", json=sealed(1)[0], timeout=10)
    assert small.status_code == 200  # small bodies never wait for the budget
    for sock in held:
        sock.close()
    big = {"bundle": sealed(1)[0], "padding": "x" * 200_000}
    deadline = time.monotonic() + 10
    while (answer := httpx.post(node.url + "/v1/verify", json=big, timeout=10)).status_code == 503:
        assert time.monotonic() < deadline, "the budget was not given back"
        time.sleep(0.1)
    assert answer.status_code == 200


def test_a_chunked_body_draws_on_the_budget_as_it_grows(tmp_path: Path) -> None:
    with _in_process(tmp_path, body_budget=1_000_000) as node:
        first = _start_body(node.port, None, b" " * 700_000)
        time.sleep(0.3)
        second = _start_body(node.port, None, b" " * 700_000)
        status, body, _ = _answer(second)
        assert (status, body["error"]["code"]) == (503, "OVERLOADED")
        first.sendall(b"2\r\n{}\r\n0\r\n\r\n")
        assert _answer(first)[0] == 200
