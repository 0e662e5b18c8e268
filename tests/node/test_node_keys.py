"""A node on a ``cerkit keys`` directory: rotation keeps old receipts verifiable."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import httpx
from node_checks import CLI, assert_logged, attested, cli, sealed

from cerkit.keys import KeyDocument


def _serve(tmp: Path, keys: Path, store: Path) -> tuple[subprocess.Popen[bytes], str]:
    port_file = tmp / "port"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [
            *CLI,
            "node",
            "serve",
            "--store",
            str(store),
            "--key-dir",
            str(keys),
            "--port",
            "0",
            "--port-file",
            str(port_file),
        ],
        cwd=tmp,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not port_file.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port_file.read_text()}"
    while True:
        try:
            httpx.get(url + "/health")
            return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)


def test_receipts_signed_before_a_rotation_still_verify_with_the_new_document(
    tmp_path: Path,
) -> None:
    keys, store = tmp_path / "keys", tmp_path / "node.db"
    cli("keys", "--dir", str(keys), "generate", "--node-id", "rotating-node", cwd=tmp_path)
    token = cli("node", "token", "create", "--store", str(store), cwd=tmp_path).stdout.strip()
    first, second = sealed(2, "rotate")
    answers = []
    for bundle in (first, second):
        proc, url = _serve(tmp_path, keys, store)
        try:
            headers = {"Authorization": f"Bearer {token}"}
            answers.append(httpx.post(url + "/v1/attest", json=bundle, headers=headers).json())
            document = httpx.get(url + "/.well-known/cerkit-node.json").json()
        finally:
            proc.terminate()
            proc.wait(10)
        cli("keys", "--dir", str(keys), "rotate", cwd=tmp_path)
    assert answers[0]["attestorKeyId"] != answers[1]["attestorKeyId"]
    assert document["nodeId"] == "rotating-node"
    exported = cli("keys", "--dir", str(keys), "export", cwd=tmp_path).stdout
    saved = KeyDocument.from_json(json.loads(exported))
    states = {k.kid: str(k.state) for k in saved.keys}
    assert states[answers[0]["attestorKeyId"]] == "retired"
    for bundle, answer in zip((first, second), answers, strict=True):
        assert_logged(attested(bundle, answer), saved)
