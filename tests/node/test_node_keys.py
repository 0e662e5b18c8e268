"""A node on a ``cerkit keys`` directory: rotation keeps old receipts verifiable."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
from node_checks import CLI, Node, assert_logged, attested, cli, sealed

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


BAD_NAMES = ["a b", "a\nb", "a+b", "tab\there", "soh\x01", "nbsp\u00a0x", "x" * 300]


def test_keys_generate_refuses_a_node_id_or_origin_a_checkpoint_cannot_carry(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    for name in BAD_NAMES:
        for option in ("--node-id", "--origin"):
            done = cli(
                "keys", "--dir", str(keys), "generate", option, name, cwd=tmp_path, check=False
            )
            assert done.returncode == 2, (name, done.stderr)
            assert "KEY_NAME_INVALID" in done.stderr
            assert not keys.exists()  # refused before anything was created
    good = cli(
        "keys", "--dir", str(keys), "generate", "--origin", "example.com/log/1", cwd=tmp_path
    )
    assert good.returncode == 0


def test_a_node_whose_key_names_are_invalid_refuses_to_start_and_writes_nothing(
    tmp_path: Path,
) -> None:
    import pytest

    keys = tmp_path / "keys"
    cli("keys", "--dir", str(keys), "generate", "--node-id", "fine", cwd=tmp_path)
    document = json.loads((keys / "keys.json").read_text())
    (keys / "keys.json").write_text(json.dumps({**document, "origin": "a b"}))
    with pytest.raises(RuntimeError, match="KEY_NAME_INVALID"):
        Node(tmp_path, str(tmp_path / "node.db"), keys).start()
    store = str(tmp_path / "n.db")
    bare = cli("node", "serve", "--node-id", "a\nb", "--store", store, cwd=tmp_path, check=False)
    assert bare.returncode != 0 and "KEY_NAME_INVALID" in bare.stderr
    for db in ("node.db", "n.db"):
        path = tmp_path / db
        if path.exists():
            with sqlite3.connect(path) as conn:
                assert conn.execute("SELECT COUNT(*) FROM log_entries").fetchone() == (0,)


def test_a_revocation_takes_effect_in_a_running_node(tmp_path: Path) -> None:
    keys, store = tmp_path / "keys", tmp_path / "node.db"
    cli("keys", "--dir", str(keys), "generate", "--node-id", "live-node", cwd=tmp_path)
    node = Node(tmp_path, str(store), keys).start()
    try:
        token = node.token()
        headers = {"Authorization": f"Bearer {token}"}
        first, second, third = sealed(3, "live")
        with httpx.Client(base_url=node.url, headers=headers, timeout=30) as client:
            kid = client.post("/v1/attest", json=first).json()["attestorKeyId"]
            cli("keys", "--dir", str(keys), "revoke", kid, "--reason", "stolen", cwd=tmp_path)
            deadline = time.monotonic() + 10
            while _state(client, kid) != "revoked":
                assert time.monotonic() < deadline, "the revocation was never published"
                time.sleep(0.1)
            refused = client.post("/v1/attest", json=second)
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"]["code"] == "NO_SIGNING_KEY"
            assert client.get("/ready").status_code == 503
            assert client.get("/v1/checkpoint").status_code == 503  # nothing signed by it
            assert len(client.get("/v1/entries").json()["entries"]) == 1
            # A new key becomes active: the running node signs with it.
            cli("keys", "--dir", str(keys), "rotate", cwd=tmp_path)
            while client.get("/ready").status_code != 200:
                assert time.monotonic() < deadline + 10, "the new key was never used"
                time.sleep(0.1)
            answer = client.post("/v1/attest", json=third).json()
            document = KeyDocument.from_json(client.get("/.well-known/cerkit-node.json").json())
        assert answer["attestorKeyId"] not in (kid, "")
        assert document.active is not None and document.active.kid == answer["attestorKeyId"]
        assert_logged(attested(third, answer), document)
        assert "signing key changed" in node.output()
    finally:
        node.stop()


def _state(client: httpx.Client, kid: str) -> str:
    document = client.get("/.well-known/cerkit-node.json").json()
    return next(str(k["status"]) for k in document["keys"] if k["kid"] == kid)
