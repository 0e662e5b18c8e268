"""Running a node under uvicorn (``cerkit node serve``)."""

from __future__ import annotations

import importlib.util
import socket
import sys

from cerkit.atomic import write_atomic
from cerkit.node.app import create_app
from cerkit.node.config import load_identity, open_log_store
from cerkit.node.service import NodeService


def _fastest(module: str, fallback: str) -> str:
    """uvloop and httptools when installed (the ``node`` extra), asyncio and h11 otherwise."""
    return module if importlib.util.find_spec(module) else fallback


def serve(
    *,
    store: str | None,
    host: str,
    port: int,
    key: str | None,
    key_dir: str | None = None,
    key_document: str | None = None,
    node_id: str | None = None,
    port_file: str | None = None,
) -> None:
    """Open the store, rebuild the tree, and serve until interrupted."""
    import uvicorn

    identity = load_identity(key, key_document, node_id, key_dir=key_dir)
    log = open_log_store(store)
    service = NodeService(log, identity)
    app = create_app(service)
    # Bind first, so port 0 works and the port is known before the first request.
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    bound = sock.getsockname()[1]
    sock.listen(2048)  # queue early connections while the app starts
    config = uvicorn.Config(
        app,
        loop=_fastest("uvloop", "asyncio"),
        http=_fastest("httptools", "h11"),
        access_log=False,
        log_level="warning",
        backlog=2048,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    print(
        f"cerkit node {identity.node_id} (key {identity.kid}) serving {service.size} leaves"
        f" on http://{host}:{bound}",
        file=sys.stderr,
        flush=True,
    )
    if port_file:
        write_atomic(port_file, str(bound))
    try:
        server.run(sockets=[sock])
    finally:
        log.close()
