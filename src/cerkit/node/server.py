"""Running a node under uvicorn (``cerkit node serve``)."""

from __future__ import annotations

import importlib.util
import logging
import socket
import sys

from cerkit.atomic import write_atomic
from cerkit.ledger.factory import open_log_store, open_token_store
from cerkit.node.app import Bounds, create_app
from cerkit.node.config import KeySource
from cerkit.node.service import NodeService
from cerkit.node.state import CheckpointFile


def _fastest(module: str, fallback: str) -> str:
    """uvloop and httptools when installed (the ``node`` extra), asyncio and h11 otherwise."""
    return module if importlib.util.find_spec(module) else fallback


def _log_to_stderr() -> None:
    """The node's own log lines (self-check failures, key changes) on stderr."""
    logger = logging.getLogger("cerkit.node")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("cerkit node: %(levelname)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


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
    checkpoint_file: str | None = None,
) -> None:
    """Open the store, rebuild the tree, check it against the node's saved checkpoint, and
    serve until interrupted (refusing to sign when the check failed)."""
    import uvicorn

    _log_to_stderr()
    keys = KeySource(key, key_document, node_id, key_dir=key_dir)
    identity = keys.load()
    saved = CheckpointFile(checkpoint_file or keys.checkpoint_path)
    log = open_log_store(store)
    tokens = open_token_store(store)
    service = NodeService(log, identity, saved=saved)
    app = create_app(service, tokens, Bounds(keys=keys))
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
    problem = service.problem()
    if problem is not None:
        print(f"cerkit node: {problem.reason}: {problem.message}", file=sys.stderr, flush=True)
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
        tokens.close()
        log.close()
