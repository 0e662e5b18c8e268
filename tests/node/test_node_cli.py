"""``cerkit attest`` and ``cerkit verify --node`` against a real node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from node_checks import cli, sealed

from cerkit.ledger import open_record_store


def _write(tmp: Path, bundles: list[dict[str, Any]]) -> list[str]:
    paths = []
    for bundle in bundles:
        path = tmp / f"{bundle['snapshot']['executionId']}.json"
        path.write_text(json.dumps(bundle))
        paths.append(str(path))
    return paths


def _verify(tmp: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    done = cli("verify", "--json", *args, cwd=tmp, check=False)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_attest_adds_meta_attestation_keeps_it_in_the_store_and_verifies_with_node(
    make_node: Any, tmp_path: Path
) -> None:
    node = make_node()
    token = node.token()
    local = tmp_path / "local.db"
    paths = _write(tmp_path, sealed(3, "cli"))
    cli("attest", "--node", node.url, "--token", token, "--store", str(local), *paths)
    attested = [json.loads(Path(p).read_text()) for p in paths]
    assert [b["meta"]["attestation"]["logIndex"] for b in attested] == [0, 1, 2]
    store = open_record_store(str(local))
    try:
        kept = store.get(attested[1]["certificateHash"])
        assert kept is not None
        assert kept["meta"]["attestation"] == attested[1]["meta"]["attestation"]
    finally:
        store.close()
    # The node grows past the checkpoints embedded in the records.
    more = _write(tmp_path, sealed(5, "later"))
    cli("attest", "--node", node.url, "--token", token, "--no-store", *more)

    code, reports = _verify(tmp_path, "--node", node.url, *paths)
    assert code == 0, reports
    assert {r["assurance"] for r in reports} == {"logged"}
    consistency = [c for r in reports for c in r["checks"] if c["check"] == "consistency"]
    assert consistency and all(c["status"] == "PASS" for c in consistency), consistency

    saved = tmp_path / "node-keys.json"
    saved.write_text(httpx.get(node.url + "/.well-known/cerkit-node.json").text)
    code, reports = _verify(tmp_path, "--trust", str(saved), *paths)
    assert code == 0 and {r["assurance"] for r in reports} == {"logged"}
    code, reports = _verify(tmp_path, *paths)
    assert code == 0 and {r["assurance"] for r in reports} == {"sealed"}

    forged = json.loads(Path(paths[0]).read_text())
    forged["meta"]["attestation"]["receipt"]["logIndex"] = 7
    Path(paths[0]).write_text(json.dumps(forged))
    code, reports = _verify(tmp_path, "--trust", str(saved), paths[0])
    assert code == 1 and reports[0]["verdict"] == "FAILED"


def test_attest_with_a_bad_token_fails_and_leaves_the_file_alone(
    make_node: Any, tmp_path: Path
) -> None:
    node = make_node()
    (path,) = _write(tmp_path, sealed(1, "denied"))
    before = Path(path).read_bytes()
    done = cli("attest", "--node", node.url, "--token", "nope", "--no-store", path, check=False)
    assert done.returncode == 3
    assert "UNAUTHORIZED" in done.stderr
    assert Path(path).read_bytes() == before
    done = cli("attest", "--node", node.url, "--no-store", path, check=False)
    assert done.returncode == 2  # no token at all: usage error


def test_attest_with_trust_refuses_an_attestation_from_another_key(
    make_node: Any, tmp_path: Path
) -> None:
    node = make_node()
    token = node.token()
    (path,) = _write(tmp_path, sealed(1, "trusting"))
    before = Path(path).read_bytes()
    other = tmp_path / "other-keys"
    cli("keys", "--dir", str(other), "generate", "--node-id", "cerkit-node", cwd=tmp_path)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(cli("keys", "--dir", str(other), "export", cwd=tmp_path).stdout)
    args = ["attest", "--node", node.url, "--token", token, "--no-store"]
    done = cli(*args, "--trust", str(wrong), path, check=False)
    assert done.returncode == 1, done.stderr
    assert "RECEIPT_KEY_UNKNOWN" in done.stderr or "RECEIPT" in done.stderr, done.stderr
    assert Path(path).read_bytes() == before
    right = tmp_path / "right.json"
    right.write_text(httpx.get(node.url + "/.well-known/cerkit-node.json").text)
    cli(*args, "--trust", str(right), path)
    assert json.loads(Path(path).read_text())["meta"]["attestation"]["logIndex"] == 0


def test_verify_with_node_says_on_stderr_that_it_trusts_what_the_node_serves(
    make_node: Any, tmp_path: Path
) -> None:
    node = make_node()
    (path,) = _write(tmp_path, sealed(1, "tofu"))
    done = cli("verify", "--node", node.url, path, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    note = done.stderr.splitlines()[0]
    assert note.startswith(f"cerkit: note: trusting the keys {node.url} serves")
    assert "/.well-known/cerkit-node.json" in note and "--trust FILE" in note
    assert done.stdout.startswith("VERIFIED")
