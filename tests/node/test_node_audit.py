"""``cerkit log audit`` detects a deleted or altered entry in the node's database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from node_checks import assert_refuses, cli, sealed


def _tamper(store: str, sql: str) -> None:
    """Change the node's database behind its back, as an insider with DB access could."""
    if store.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(store, autocommit=True) as conn:
            conn.execute(sql.replace("?", "%s"))
        return
    with sqlite3.connect(store) as conn:
        conn.execute(sql)


def _audit(node: Any, tmp: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    done = cli("log", "audit", "--node", node.url, "--json", *extra, cwd=tmp, check=False)
    return done.returncode, json.loads(done.stdout)


def _attest_files(node: Any, tmp: Path, count: int) -> list[Path]:
    paths = []
    for i, bundle in enumerate(sealed(count, "audit")):
        path = tmp / f"record-{i}.json"
        path.write_text(json.dumps(bundle))
        paths.append(path)
    token = node.token()
    args = ["attest", "--node", node.url, "--token", token, "--no-store"]
    cli(*args, *map(str, paths), cwd=tmp)
    return paths


def _cert_of(paths: list[Path], index: int) -> str:
    for path in paths:
        record = json.loads(path.read_text())
        if record["meta"]["attestation"]["logIndex"] == index:
            return str(record["certificateHash"])
    raise AssertionError(f"no record with index {index}")


def _audit_detects_tampering(make_node: Any, tmp: Path, store: str | None) -> None:
    node = make_node(store)
    paths = _attest_files(node, tmp, 40)
    attested = json.loads(paths[0].read_text())
    assert attested["meta"]["attestation"]["logIndex"] == 0
    saved = tmp / "checkpoint.txt"
    code, result = _audit(node, tmp, "--save-checkpoint", str(saved))
    assert code == 0 and result["ok"] and result["treeSize"] == 40, result
    assert saved.read_text().startswith(result["origin"] + "\n40\n")

    # Rewrite entry 7 while the node runs.
    forged = "sha256:" + "ab" * 32
    _tamper(node.store, f"UPDATE log_entries SET certificate_hash = '{forged}' WHERE idx = 7")
    code, result = _audit(node, tmp, "--checkpoint", str(saved))
    assert code == 1
    assert {"reason": "LOG_ENTRY_MISMATCH", "index": 7} in [
        {k: p[k] for k in ("reason", "index")} for p in result["problems"]
    ]

    # Restart: the node proves the stored log against the checkpoint it saved and refuses
    # to sign the rewritten tree; an auditor learns why instead of a fresh checkpoint.
    node.stop()
    node.start()
    assert_refuses(node.url, "LOG_INCONSISTENT")
    done = cli("log", "audit", "--node", node.url, "--json", cwd=tmp, check=False)
    assert done.returncode == 3 and "LOG_INCONSISTENT" in done.stderr, done.stderr

    # Put the row back: the node signs again, and nothing was lost.
    original = _cert_of(paths, 7)
    _tamper(node.store, f"UPDATE log_entries SET certificate_hash = '{original}' WHERE idx = 7")
    node.stop()
    node.start()
    code, result = _audit(node, tmp, "--checkpoint", str(saved))
    assert code == 0 and result["treeSize"] == 40, result

    # Delete entry 3 while the node runs.
    _tamper(node.store, "DELETE FROM log_entries WHERE idx = 3")
    code, result = _audit(node, tmp)
    assert code == 1
    assert {"reason": "LOG_ENTRY_MISSING", "index": 3} in [
        {k: p[k] for k in ("reason", "index")} for p in result["problems"]
    ]


def test_log_audit_detects_an_altered_or_deleted_entry_on_sqlite(
    make_node: Any, tmp_path: Path
) -> None:
    _audit_detects_tampering(make_node, tmp_path, None)


@pytest.mark.postgres
def test_log_audit_detects_an_altered_or_deleted_entry_on_postgres(
    make_node: Any, tmp_path: Path, pg_url: str
) -> None:
    _audit_detects_tampering(make_node, tmp_path, pg_url)


def test_a_node_refuses_to_start_on_a_log_with_a_gap(make_node: Any, tmp_path: Path) -> None:
    node = make_node()
    _attest_files(node, tmp_path, 5)
    node.stop()
    _tamper(node.store, "DELETE FROM log_entries WHERE idx = 2")
    with pytest.raises(RuntimeError, match="gap"):
        node.start()


def test_log_audit_trusts_only_the_saved_key_document(make_node: Any, tmp_path: Path) -> None:
    import httpx
    from node_checks import Node

    from cerkit.keys import generate_private_key, save_private_key

    node = make_node()
    _attest_files(node, tmp_path, 5)
    saved_keys = tmp_path / "node-keys.json"
    saved_keys.write_text(httpx.get(node.url + "/.well-known/cerkit-node.json").text)
    code, result = _audit(node, tmp_path, "--trust", str(saved_keys))
    assert code == 0 and result["ok"], result
    node.stop()
    # An impostor serves the same log with another key: its checkpoint is not trusted.
    other_key = tmp_path / "other.key"
    save_private_key(generate_private_key(), other_key)
    impostor = Node(tmp_path, node.store, other_key, "impostor").start()
    try:
        done = cli(
            "log", "audit", "--node", impostor.url, "--trust", str(saved_keys),
            cwd=tmp_path, check=False,
        )  # fmt: skip
        assert done.returncode == 1
        assert "CHECKPOINT_SIGNATURE_INVALID" in done.stderr
    finally:
        impostor.stop()


def _rewritten_bundles_are_caught(make_node: Any, tmp: Path, store: str | None) -> None:
    import httpx

    node = make_node(store)
    paths = _attest_files(node, tmp, 6)
    code, result = _audit(node, tmp)
    assert code == 0 and result["ok"], result
    # Entry 2's stored bundle swapped for another valid record; entry 4's output edited.
    other = json.dumps(sealed(1, "other")[0]).encode()
    fourth = json.loads((tmp / "record-4.json").read_text())
    fourth["snapshot"]["output"] = "edited after logging"
    hexes = {2: other.hex(), 4: json.dumps(fourth).encode().hex()}
    for index, value in hexes.items():
        literal = f"'\\x{value}'" if store else f"X'{value}'"
        _tamper(node.store, f"UPDATE log_entries SET bundle = {literal} WHERE idx = {index}")
    for index in hexes:
        cert = _cert_of(paths, index)
        answer = httpx.get(f"{node.url}/v1/records/{cert}")
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"]["code"] == "STORED_BUNDLE_MISMATCH"
    code, result = _audit(node, tmp)
    assert code == 1
    found = {(p["reason"], p["index"]) for p in result["problems"]}
    assert found == {("STORED_BUNDLE_MISMATCH", 2), ("STORED_BUNDLE_MISMATCH", 4)}, result
    code, result = _audit(node, tmp, "--skip-bundles")
    assert code == 0  # leaves and receipts alone do not cover the stored bundles
    assert httpx.get(f"{node.url}/v1/records/{_cert_of(paths, 3)}").status_code == 200


def test_log_audit_and_the_node_catch_a_rewritten_stored_bundle_on_sqlite(
    make_node: Any, tmp_path: Path
) -> None:
    _rewritten_bundles_are_caught(make_node, tmp_path, None)


@pytest.mark.postgres
def test_log_audit_and_the_node_catch_a_rewritten_stored_bundle_on_postgres(
    make_node: Any, tmp_path: Path, pg_url: str
) -> None:
    _rewritten_bundles_are_caught(make_node, tmp_path, pg_url)
