"""Running a node under uvicorn (``cerkit node serve``)."""

from __future__ import annotations

import importlib.util
import logging
import socket
import sys
from collections.abc import Callable

from cerkit.atomic import write_atomic
from cerkit.ledger.base import TokenStore
from cerkit.ledger.factory import open_log_store, open_token_store
from cerkit.node.app import Bounds, create_app
from cerkit.node.config import KeySource
from cerkit.node.service import NodeService
from cerkit.node.state import CheckpointFile
from cerkit.node.workers import check_workers, listening_socket, run_workers


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
    workers: int = 1,
) -> int:
    """Open the store, rebuild the tree, check it against the node's saved checkpoint, and
    serve until interrupted (refusing to sign when the check failed); with ``workers`` above
    one, in that many processes on one port (:mod:`cerkit.node.workers`). Returns the exit
    status (0, or :data:`~cerkit.node.workers.WORKER_DIED`)."""
    check_workers(workers)
    _log_to_stderr()
    keys = KeySource(key, key_document, node_id, key_dir=key_dir)
    identity = keys.load()  # a missing or unreadable key fails here, before any worker starts
    saved = CheckpointFile(checkpoint_file or keys.checkpoint_path)
    url = f"http://[{host}]" if ":" in host else f"http://{host}"

    def worker(number: int | None, listen: Callable[[], socket.socket]) -> None:
        who = "" if number is None else f"worker {number} "
        service = NodeService(open_log_store(store), identity, saved=saved)
        _serve_node(service, open_token_store(store), keys, listen, f"{who}serving", url)

    if workers == 1:

        def listen() -> socket.socket:
            sock = listening_socket(host, port)
            _announce(port_file, sock.getsockname()[1])
            return sock

        worker(None, listen)
        return 0
    bound, wait = run_workers(host, port, workers, worker)
    _announce(port_file, bound)
    return wait()


def _announce(port_file: str | None, port: int) -> None:
    if port_file:
        write_atomic(port_file, str(port))


def _serve_node(
    service: NodeService,
    tokens: TokenStore,
    keys: KeySource,
    listen: Callable[[], socket.socket],
    serving: str,
    url: str,
) -> None:
    """One node process: with its tree rebuilt and checked, listen and serve until stopped."""
    import uvicorn

    try:
        app = create_app(service, tokens, Bounds(keys=keys))
        config = uvicorn.Config(
            app,
            loop=_fastest("uvloop", "asyncio"),
            http=_fastest("httptools", "h11"),
            access_log=False,
            proxy_headers=False,  # the node uses no client address: trust no forwarded one
            log_level="warning",
            backlog=2048,
            timeout_keep_alive=30,
        )
        server = uvicorn.Server(config)
        problem = service.problem()
        if problem is not None:
            print(f"cerkit node: {problem.reason}: {problem.message}", file=sys.stderr, flush=True)
        sock = listen()
        identity = service.identity
        print(
            f"cerkit node {identity.node_id} (key {identity.kid}) {serving} {service.size}"
            f" leaves on {url}:{sock.getsockname()[1]}",
            file=sys.stderr,
            flush=True,
        )
        server.run(sockets=[sock])
    finally:
        tokens.close()
        service.store.close()
