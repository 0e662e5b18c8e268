"""``cerkit attest FILE.jsonl`` against a real node: the batch endpoint, chunked by its limit,
a .jsonl of attested records out, and each failing line reported with its number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from node_checks import assert_logged, cli, log_size, sealed

from cerkit.keys import KeyDocument
from cerkit.node.limits import MAX_ATTEST_BATCH


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _batch_requests(url: str) -> float:
    """How many ``POST /v1/attest/batch`` the node answered 200, from its metrics."""
    for line in httpx.get(url + "/metrics").text.splitlines():
        batch = '"/v1/attest/batch"' in line and 'status="200"' in line
        if line.startswith("cerkit_node_requests_total{") and batch:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_attest_jsonl_writes_the_attested_records_and_names_each_failing_line(
    make_node: Any, tmp_path: Path
) -> None:
    node = make_node()
    token = node.token()
    good = sealed(4, "jsonl")
    tampered = {**good[0], "snapshot": {**good[0]["snapshot"], "output": "changed"}}
    source = tmp_path / "batch.jsonl"
    lines = [json.dumps(good[0]), json.dumps(good[1]), "", json.dumps(tampered), "{not json"]
    lines += ["[1, 2]", json.dumps(good[2]), json.dumps(good[3])]
    source.write_text("\n".join(lines) + "\n")
    before = source.read_bytes()
    args = ["attest", "--node", node.url, "--token", token, "--no-store"]
    done = cli(*args, str(source), cwd=tmp_path, check=False)

    assert done.returncode == 1, done.stderr
    assert f"{source}:4: OUTPUT_HASH_MISMATCH:" in done.stderr
    assert f"{source}:5: MALFORMED_JSON:" in done.stderr
    assert f"{source}:6: SCHEMA_ERROR:" in done.stderr
    assert "4 records attested" in done.stderr and "3 records failed" in done.stderr
    assert source.read_bytes() == before  # the input is never rewritten
    out = _lines(tmp_path / "batch.attested.jsonl")
    assert [b["certificateHash"] for b in out] == [b["certificateHash"] for b in good]
    document = KeyDocument.from_json(httpx.get(node.url + "/.well-known/cerkit-node.json").json())
    for bundle in out:
        assert_logged(bundle, document)
    assert log_size(node.url) == 4
    assert _batch_requests(node.url) == 1

    # --json: one line per record, failures included, each with its line number; -o.
    again = tmp_path / "again.jsonl"
    done = cli(*args, "--json", "-o", str(again), str(source), cwd=tmp_path, check=False)
    assert done.returncode == 1
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(a["line"] for a in answers) == [1, 2, 4, 5, 6, 7, 8]
    assert {a["line"]: a["error"]["code"] for a in answers if "error" in a} == {
        4: "OUTPUT_HASH_MISMATCH",
        5: "MALFORMED_JSON",
        6: "SCHEMA_ERROR",
    }
    assert all(a["created"] is False for a in answers if "error" not in a)
    assert [b["meta"]["attestation"] for b in _lines(again)] == [
        b["meta"]["attestation"] for b in out
    ]


def test_attest_jsonl_is_sent_in_batches_of_the_limit(make_node: Any, tmp_path: Path) -> None:
    node = make_node()
    count = MAX_ATTEST_BATCH + 5
    bundles = sealed(count, "many")
    source = tmp_path / "many.jsonl"
    source.write_text("".join(json.dumps(b) + "\n" for b in bundles))
    saved = tmp_path / "node-keys.json"
    saved.write_text(httpx.get(node.url + "/.well-known/cerkit-node.json").text)
    local = tmp_path / "local.db"
    cli(
        "attest",
        *("--node", node.url, "--token", node.token(), "--store", str(local)),
        *("--trust", str(saved), str(source)),
        cwd=tmp_path,
    )
    out = _lines(tmp_path / "many.attested.jsonl")
    assert [b["meta"]["attestation"]["logIndex"] for b in out] == list(range(count))
    assert _batch_requests(node.url) == 2
    listed = cli("records", "list", "--store", str(local), "--json", cwd=tmp_path).stdout
    assert len(listed.splitlines()) == count
