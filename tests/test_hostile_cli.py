"""Hostile command lines, files and node answers against ``cerkit``, run as a user runs it.

Each case once ended in ``internal error (...)``, a wrong exit code or a wrong answer
(issue 9): now one ``cerkit: REASON: message`` line (or argparse's usage message, exit 2)
and the documented exit code.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from cerkit.jsonio import MAX_DOCUMENT_BYTES, dumps
from cerkit.ledger import open_record_store
from cli_runner import CLI, cerkit, clean_error
from trust_fixtures import OfflineNode, record


@pytest.fixture
def store(tmp_path: Path) -> Path:
    path = tmp_path / "store"
    opened = open_record_store(str(path))
    try:
        for n in range(3):
            opened.put(record(n, f"2026-01-0{n + 1}T00:00:00.000Z"))
    finally:
        opened.close()
    return path


# --- records --------------------------------------------------------------------------------


def test_records_show_of_bytes_that_are_not_utf8_is_a_usage_error(store: Path) -> None:
    clean_error(
        cerkit("records", "show", "--store", store, b"\xff\xfe".decode("utf-8", "surrogateescape")),
        2,
        "USAGE_ERROR",
    )


@pytest.mark.parametrize("target", ["directory", "/dev/full"])
def test_records_export_to_an_unwritable_target_is_an_io_error(
    store: Path, tmp_path: Path, target: str
) -> None:
    out = tmp_path if target == "directory" else Path(target)
    if target == "/dev/full" and not out.exists():
        pytest.skip("no /dev/full on this system")
    clean_error(cerkit("records", "export", "--store", store, "-o", out), 3, "IO_ERROR")


def test_records_export_to_a_full_stdout_is_an_io_error(store: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [*CLI, "records", "export", "--store", str(store)],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("cerkit: IO_ERROR") and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "option",
    [
        ["--since", "not-a-date"],
        ["--until", "2026-13-45"],
        ["--limit", "-5"],
        ["--limit", "99999999999999999999"],
        ["--limit", "²"],
    ],
    ids=["since", "until", "negative-limit", "huge-limit", "superscript-limit"],
)
def test_records_list_refuses_bad_filters_as_usage_errors(store: Path, option: list[str]) -> None:
    result = cerkit("records", "list", "--store", store, *option)
    assert result.returncode == 2, result.stderr
    assert "usage:" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_records_list_filters_by_normalized_times_and_limits(store: Path) -> None:
    def listed(*option: str) -> list[str]:
        result = cerkit("records", "list", "--store", store, "--json", *option)
        assert result.returncode == 0, result.stderr
        return [json.loads(line)["createdAt"][:10] for line in result.stdout.splitlines()]

    assert listed("--since", "2026-01-02") == ["2026-01-02", "2026-01-03"]
    assert listed("--since", "2026-01-02T02:00:00+02:00") == ["2026-01-02", "2026-01-03"]
    assert listed("--until", "2026-01-01T00:00Z") == ["2026-01-01"]
    assert listed("--limit", "2") == ["2026-01-01", "2026-01-02"]
    assert listed("--limit", "0") == []


# --- keys and log audit ---------------------------------------------------------------------


def test_keys_export_to_a_directory_is_an_io_error(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    assert cerkit("keys", "--dir", keys, "generate").returncode == 0
    clean_error(cerkit("keys", "--dir", keys, "export", "-o", tmp_path), 3, "IO_ERROR")


def test_keys_generate_in_a_dir_that_is_a_file_is_an_io_error(tmp_path: Path) -> None:
    a_file = tmp_path / "keys"
    a_file.write_text("not a directory")
    result = cerkit("keys", "--dir", a_file, "generate")
    clean_error(result, 3, "IO_ERROR")
    assert "not a directory" in result.stderr


def test_log_audit_of_a_binary_saved_checkpoint_is_checkpoint_malformed(tmp_path: Path) -> None:
    saved = tmp_path / "saved.checkpoint"
    saved.write_bytes(b"\x89PNG\r\n\x1a\n\xd1\xff\xfe" * 10)
    result = cerkit("log", "audit", "--node", "http://127.0.0.1:9", "--checkpoint", saved)
    clean_error(result, 1, "CHECKPOINT_MALFORMED")


# --- verify: files that cannot be read, lines that are too long -----------------------------


def test_verify_goes_on_past_a_missing_file_and_exits_3(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(dumps(record()))
    result = cerkit("verify", tmp_path / "missing.jsonl", tmp_path / "missing.json", good)
    assert result.returncode == 3, result.stderr
    assert [line.split()[0] for line in result.stdout.splitlines() if line[:1] != " "] == [
        "ERROR",
        "ERROR",
        "VERIFIED",
    ]
    assert result.stderr.count("IO_ERROR") == 2 and "Traceback" not in result.stderr


def test_verify_refuses_a_huge_jsonl_line_without_reading_it_whole(tmp_path: Path) -> None:
    """A 96 MiB line (sparse, so the test writes almost nothing) between two good records:
    refused at the 8 MiB limit, the records around it verified, peak memory far below the
    line's size (it was read whole before: ~2x its size)."""
    batch = tmp_path / "huge.jsonl"
    good = dumps(record()).encode()
    with open(batch, "wb") as handle:
        handle.write(good + b"\n")
        handle.seek(len(good) + 1 + 96 * 1024 * 1024)
        handle.write(b"\n" + good + b"\n")
    if not Path("/proc/self/status").exists():
        pytest.skip("peak memory is read from /proc/self/status (Linux)")
    # VmHWM is this process's own high-water mark (getrusage's ru_maxrss would include the
    # forking pytest process, whose memory the child inherited before exec).
    measure = (
        "import sys\n"
        "from cerkit.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "sys.stdout.flush()\n"
        "status = open('/proc/self/status').read()\n"
        "peak = status.split('VmHWM:')[1].split()[0]\n"
        "print(f'peak-kib {peak}', file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", measure, "verify", str(batch)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    verdicts = [line.split()[0] for line in result.stdout.splitlines() if line[:1] != " "]
    assert verdicts == ["VERIFIED", "FAILED", "VERIFIED"]
    assert f"huge.jsonl:2: INPUT_TOO_LARGE: line is longer than the {MAX_DOCUMENT_BYTES}" in (
        result.stderr
    )
    peak_mib = int(result.stderr.split("peak-kib ")[1].split()[0]) / 1024
    assert peak_mib < 80, f"peak memory {peak_mib:.0f} MiB for a 96 MiB line"


# --- attest without --trust -----------------------------------------------------------------


class _HostileNode(BaseHTTPRequestHandler):
    """A loopback HTTP server that answers every attestation with a given (bad) answer."""

    answer: ClassVar[dict[str, Any]] = {}

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        body = json.dumps(self.answer).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def hostile_node() -> Iterator[tuple[str, type[_HostileNode]]]:
    handler = type("Handler", (_HostileNode,), {"answer": {}})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def _answer(bundle: dict[str, Any], spoil: str) -> dict[str, Any]:
    meta = copy.deepcopy(OfflineNode().attest(bundle)["meta"]["attestation"])
    if spoil == "inclusion-proof":
        meta["inclusionProof"]["hashes"][0] = "A" * 43 + "="
    elif spoil == "receipt-for-another-record":
        meta["receipt"]["certificateHash"] = "sha256:" + "0" * 64
    return {
        "certificateHash": bundle["certificateHash"],
        "logIndex": meta["logIndex"],
        "created": True,
        "attestation": meta,
    }


@pytest.mark.parametrize("spoil", ["inclusion-proof", "receipt-for-another-record"])
def test_attest_without_trust_refuses_an_answer_that_fails_the_keyless_checks(
    tmp_path: Path, hostile_node: tuple[str, type[_HostileNode]], spoil: str
) -> None:
    url, handler = hostile_node
    bundle = record()
    handler.answer = _answer(bundle, spoil)
    path = tmp_path / "record.json"
    path.write_text(dumps(bundle))
    result = cerkit("attest", "--node", url, "--token", "t", "--no-store", path)
    assert result.returncode == 1, result.stderr
    assert "internal error" not in result.stderr
    assert "INCLUSION_PROOF_INVALID" in result.stderr or "RECEIPT_MISMATCH" in result.stderr
    assert json.loads(path.read_text()) == bundle  # the file was not given the bad answer


def test_attest_without_trust_keeps_an_answer_that_passes_the_keyless_checks(
    tmp_path: Path, hostile_node: tuple[str, type[_HostileNode]]
) -> None:
    url, handler = hostile_node
    bundle = record()
    handler.answer = _answer(bundle, "nothing")
    path = tmp_path / "record.json"
    path.write_text(dumps(bundle))
    result = cerkit("attest", "--node", url, "--token", "t", "--no-store", path)
    assert result.returncode == 0, result.stderr
    assert json.loads(path.read_text())["meta"]["attestation"] == handler.answer["attestation"]
