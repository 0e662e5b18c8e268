"""Schemathesis against a real node: every operation of its own ``/openapi.json``.

Usage: ``python fuzz/node_api.py EXAMPLES`` starts a node (uvicorn on a loopback port, a
fresh SQLite store, a write token), loads the document the node serves, and sends each
operation EXAMPLES generated requests in positive mode (valid by the schema) and EXAMPLES
in negative mode (violating it), authorized writes included. Every answer must be below
500. Prints one JSON line: ``{"requests", "server_errors", "by_status", "operations"}``,
and exits 1 when any answer was a 5xx (the first few are printed as curl commands).
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cerkit.jsonio import dumps
from cerkit.keys import KeyDocument, KeyEntry, generate_private_key, key_id, public_key_bytes
from cerkit.ledger.sqlite_log import SQLiteLogStore
from cerkit.ledger.sqlite_tokens import SQLiteTokenStore
from cerkit.node.app import create_app
from cerkit.node.service import NodeIdentity, NodeService
from cerkit.node.tokens import create_token
from cerkit.seal import seal_args


def build_app(folder: Path, records: int = 3) -> tuple[Any, str, list[dict[str, Any]]]:
    """A node app on a fresh store in ``folder``, a write token, and ``records`` sealed
    records for callers to attest first (so proofs and entries have something to show)."""
    key = generate_private_key()
    entry = KeyEntry(kid=key_id(key), public_key=public_key_bytes(key))
    identity = NodeIdentity(key, KeyDocument(node_id="fuzz", keys=(entry,)))
    store = folder / "log.db"
    tokens = SQLiteTokenStore(store)
    token = create_token(tokens, "fuzz", "2026-01-01T00:00:00.000Z").secret
    app = create_app(NodeService(SQLiteLogStore(store), identity), tokens)
    bundles = [
        seal_args({"executionId": f"fuzz-{n}", "provider": "local", "model": "m", "prompt": "p",
                   "input": n, "output": n, "parameters": {"temperature": 0, "maxTokens": 1}})
        for n in range(records)
    ]  # fmt: skip
    return app, token, bundles


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` under a real uvicorn server on a loopback port; yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(256)
    server = uvicorn.Server(uvicorn.Config(app, log_level="critical", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the node did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def run_schemathesis(url: str, token: str, examples: int) -> dict[str, Any]:
    """Send every operation ``examples`` positive and ``examples`` negative requests."""
    import requests
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_url(url + "/openapi.json")
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=examples, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            @given(case=operation.as_strategy(generation_mode=mode))
            def send(case: Any) -> None:
                response = case.call(base_url=url, session=session, timeout=30)
                statuses[response.status_code] += 1
                if response.status_code >= 500 and len(failures) < 5:
                    failures.append(f"{response.status_code} {case.as_curl_command()}")

            try:
                send()
            except Unsatisfiable:  # nothing to make invalid (an operation without inputs)
                continue
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    return {
        "requests": sum(statuses.values()),
        "server_errors": server_errors,
        "by_status": {str(k): v for k, v in sorted(statuses.items())},
        "operations": len(operations),
        "first_failures": failures,
    }


def main() -> int:
    examples = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory(prefix="cerkit-fuzz-node") as folder:
        app, token, bundles = build_app(Path(folder))
        with serving(app) as url:
            import httpx

            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            for bundle in bundles:
                httpx.post(url + "/v1/attest", content=dumps(bundle), headers=headers)
            result = run_schemathesis(url, token, examples)
    print(json.dumps(result), flush=True)
    return 1 if result["server_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
