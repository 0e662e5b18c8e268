"""Shared end-to-end checks: attest through a real node, then verify offline."""

from __future__ import annotations

import asyncio
import copy
import itertools
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from cerkit.checkpoint import Checkpoint
from cerkit.keys import KeyDocument
from cerkit.merkle import verify_consistency
from cerkit.node.audit import open_with_document
from cerkit.seal import seal_args
from cerkit.verify import verify_bundle

CLI = [sys.executable, "-c", "from cerkit.cli import run; run()"]


def sealed(count: int, prefix: str = "rec") -> list[dict[str, Any]]:
    """``count`` distinct sealed records."""
    return [
        seal_args(
            {
                "executionId": f"{prefix}-{i}",
                "provider": "openai",
                "model": "gpt-4o",
                "prompt": "p",
                "input": f"question {prefix} {i}",
                "output": f"answer {i}",
                "parameters": {"temperature": 0, "maxTokens": 8},
            }
        )
        for i in range(count)
    ]


def cli(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, cwd=cwd, check=check, timeout=300
    )


async def _attest_share(
    url: str, token: str, bundles: list[dict[str, Any]], answers: list[dict[str, Any]]
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
        for bundle in bundles:
            response = await client.post("/v1/attest", json=bundle)
            assert response.status_code in (200, 201), response.text
            answers.append(response.json())


def attest_concurrently(
    url: str, token: str, bundles: list[dict[str, Any]], clients: int
) -> list[dict[str, Any]]:
    """Attest ``bundles`` from ``clients`` concurrent connections; answers in any order."""
    answers: list[dict[str, Any]] = []

    async def main() -> None:
        shares = [bundles[i::clients] for i in range(clients)]
        await asyncio.gather(*(_attest_share(url, token, s, answers) for s in shares))

    asyncio.run(main())
    return answers


def attested(bundle: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(bundle)
    out.setdefault("meta", {})["attestation"] = answer["attestation"]
    return out


def trust_store(document: KeyDocument) -> Any:
    """TRUST's trust store holding only the saved node key document."""
    from cerkit.verify import TrustStore

    return TrustStore(node_documents=[document])


def assert_logged(bundle: dict[str, Any], document: KeyDocument) -> None:
    """The record verifies offline, with only the saved key document, up to ``logged``."""
    report = verify_bundle(bundle, trust=trust_store(document))
    assert report.ok, report.to_dict()
    assert report.assurance.label == "logged", report.to_dict()


def checkpoints_of(answers: list[dict[str, Any]], document: KeyDocument) -> list[Checkpoint]:
    """Every distinct signed checkpoint handed out, opened with the key document, by size."""
    notes = {a["attestation"]["checkpoint"] for a in answers}
    opened = sorted((open_with_document(n, document) for n in notes), key=lambda c: c.size)
    sizes = [c.size for c in opened]
    assert len(set(sizes)) == len(sizes), "two different checkpoints for one tree size"
    return opened


def assert_consistent_chain(url: str, checkpoints: list[Checkpoint]) -> int:
    """Each checkpoint is consistent with the next (RFC 9162 §2.1.4.2); returns proofs checked."""
    import base64

    checked = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for old, new in itertools.pairwise(checkpoints):
            answer = client.get(
                "/v1/proof/consistency", params={"from": old.size, "to": new.size}
            ).json()
            proof = [base64.b64decode(h) for h in answer["hashes"]]
            verify_consistency(old.size, new.size, old.root, new.root, proof)
            checked += 1
    return checked


def log_size(url: str) -> int:
    return int(httpx.get(url + "/v1/checkpoint", timeout=10).text.split("\n")[1])


class Node:
    """One ``cerkit node serve`` subprocess on a random loopback port; ``key`` is a private
    key file or a ``cerkit keys`` directory."""

    def __init__(
        self, tmp: Path, store: str, key: Path, name: str = "node", workers: int = 1
    ) -> None:
        self.tmp, self.store, self.key, self.name = tmp, store, key, name
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Node:
        port_file = self.tmp / f"{self.name}.port"
        port_file.unlink(missing_ok=True)
        log = open(self.tmp / f"{self.name}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                *CLI,
                "node",
                "serve",
                "--store",
                self.store,
                "--key-dir" if self.key.is_dir() else "--key",
                str(self.key),
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--workers",
                str(self.workers),
            ],
            cwd=self.tmp,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError((self.tmp / f"{self.name}.log").read_text())
            if port_file.exists():
                self.port = int(port_file.read_text())
                try:
                    if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
            if time.monotonic() > deadline:
                raise RuntimeError("node did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def token(self) -> str:
        return cli("node", "token", "create", "--store", self.store, cwd=self.tmp).stdout.strip()

    def output(self) -> str:
        """What the node printed on stdout and stderr so far."""
        return (self.tmp / f"{self.name}.log").read_text()


class InProcessNode:
    """A real uvicorn server on a loopback port, serving ``app`` from a thread of this
    process, for tests that lower the node's bounds (``create_app(..., body_timeout=...)``)."""

    def __init__(self, app: Any) -> None:
        import socket
        import threading

        import uvicorn

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = int(self.sock.getsockname()[1])
        config = uvicorn.Config(app, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> InProcessNode:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("in-process node did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


def assert_refuses(url: str, code: str) -> None:
    """The node is up but signs nothing: readiness, checkpoint and attest answer 503 ``code``."""
    with httpx.Client(base_url=url, timeout=10) as client:
        assert client.get("/health").status_code == 200
        for path in ("/ready", "/v1/checkpoint"):
            answer = client.get(path)
            assert answer.status_code == 503, (path, answer.text)
            assert answer.json()["error"]["code"] == code, answer.text
        assert "cerkit_node_signing 0.0" in client.get("/metrics").text


def new_identity(node_id: str = "test-node") -> Any:
    """A node identity with a fresh key and a one-key document."""
    from cerkit.keys import KeyEntry, generate_private_key, key_id, public_key_bytes
    from cerkit.node.service import NodeIdentity

    key = generate_private_key()
    entry = KeyEntry(kid=key_id(key), public_key=public_key_bytes(key))
    return NodeIdentity(key, KeyDocument(node_id=node_id, keys=(entry,)))


def submissions(count: int, prefix: str = "svc") -> list[Any]:
    """``count`` distinct validated submissions, as the HTTP layer hands them over."""
    import orjson

    from cerkit.node.submission import parse_submission

    return [parse_submission(orjson.dumps(b)) for b in sealed(count, prefix)]
