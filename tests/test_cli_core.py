"""``cerkit canonical``, ``seal`` and ``verify`` as a user runs them: real processes, real files.

Bad input of every kind gets exactly one stderr line naming a reason code, the documented
exit code (0 ok, 1 invalid or not verified, 2 usage, 3 could not run), never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cerkit.jsonio import MAX_DOCUMENT_BYTES

CLI = [sys.executable, "-c", "from cerkit.cli import run; run()"]
CREATED_AT = "2026-02-12T00:00:00.000Z"
ARGS: dict[str, Any] = {
    "executionId": "cli-1",
    "provider": "openai",
    "model": "gpt-4o",
    "prompt": "You are a careful assistant.",
    "input": "What is 2+2?",
    "output": "4",
    "parameters": {"temperature": 0.2, "maxTokens": 64},
    "timestamp": "2026-02-12T00:00:00.000Z",
}


def cerkit(*argv: str | Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*CLI, *map(str, argv)], input=stdin, capture_output=True, timeout=120, check=False
    )


def one_error_line(
    result: subprocess.CompletedProcess[bytes], reason: str, summary: str | None = None
) -> str:
    """Assert stderr is exactly one ``cerkit: ...`` line naming ``reason`` (then the
    ``summary`` line of a batch, when given); return it."""
    text = result.stderr.decode("utf-8")
    assert "Traceback" not in text
    lines = text.splitlines()
    if summary is not None:
        assert lines and lines.pop() == summary, text
    assert len(lines) == 1, text
    assert lines[0].startswith("cerkit: ") and reason in lines[0], text
    assert len(lines[0]) < 400
    return lines[0]


# --- bad input, for each verb ------------------------------------------------------------------

BAD_INPUTS: dict[str, tuple[bytes, str]] = {
    "malformed": (b'{"a": [1, 2', "MALFORMED_JSON"),
    "nan": (b'{"a": NaN}', "MALFORMED_JSON"),
    "infinity": (b'{"a": -Infinity}', "MALFORMED_JSON"),
    "overflowing-number": (b'{"a": 1e400}', "MALFORMED_JSON"),
    "overflowing-integer": (b"[" + b"9" * 400 + b"]", "MALFORMED_JSON"),
    "huge-integer": (b"[-" + b"9" * 5000 + b"]", "MALFORMED_JSON"),
    "too-large": (b'{"s": "' + b"x" * (10 * 1000 * 1000) + b'"}', "INPUT_TOO_LARGE"),
    "too-deep": (b"[" * 10_000 + b"]" * 10_000, "INPUT_TOO_DEEP"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x10", "MALFORMED_JSON"),
    "empty": (b"", "MALFORMED_JSON"),
    "blank": (b" \n\t\n", "MALFORMED_JSON"),
    "byte-order-mark": (b'\xef\xbb\xbf{"a": 1}', "MALFORMED_JSON"),
    "duplicate-keys": (b'{"a": 1, "a": 2}', "MALFORMED_JSON"),
    "trailing-garbage": (b'{"a": 1} x', "MALFORMED_JSON"),
}


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bad")
    files = {}
    for name, (content, _) in BAD_INPUTS.items():
        files[name] = folder / f"{name}.json"
        files[name].write_bytes(content)
    return files


@pytest.mark.parametrize("verb", ["canonical", "seal", "verify"])
@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gets_one_line_with_a_reason_and_exit_1(
    verb: str, case: str, bad_files: dict[str, Path]
) -> None:
    result = cerkit(verb, bad_files[case])
    assert result.returncode == 1, result.stderr
    line = one_error_line(result, BAD_INPUTS[case][1])
    assert len(BAD_INPUTS["too-large"][0]) > MAX_DOCUMENT_BYTES
    if verb == "canonical":
        assert result.stdout == b""
    del line


@pytest.mark.parametrize("verb", ["canonical", "seal"])
def test_bad_input_on_stdin_gets_the_same_answer(verb: str) -> None:
    result = cerkit(verb, "-", stdin=b"[" * 10_000)
    assert result.returncode == 1
    one_error_line(result, "INPUT_TOO_DEEP")
    result = cerkit(verb, stdin=b"x" * (MAX_DOCUMENT_BYTES + 1))
    assert result.returncode == 1
    one_error_line(result, "INPUT_TOO_LARGE")


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([1, 2], "SCHEMA_ERROR"),
        ("a string", "SCHEMA_ERROR"),
        ({**ARGS, "parameters": "hot"}, "SCHEMA_ERROR"),
        ({**ARGS, "parameters": {"temperature": "0.2", "maxTokens": 1}}, "SCHEMA_ERROR"),
        ({**ARGS, "prompt": 42}, "SCHEMA_ERROR"),
        ({**ARGS, "input": None}, "SCHEMA_ERROR"),
        ({**ARGS, "protocolVersion": "9.9.9"}, "UNSUPPORTED_PROTOCOL_VERSION"),
        ({**ARGS, "protocolVersion": "1.3.0", "input": "\ud800"}, "CANONICALIZATION_ERROR"),
    ],
)
def test_seal_rejects_wrong_types_with_a_reason(document: Any, reason: str, tmp_path: Path) -> None:
    path = tmp_path / "args.json"
    path.write_text(json.dumps(document), "utf-8")
    result = cerkit("seal", path)
    assert result.returncode == 1
    one_error_line(result, reason)
    assert result.stdout == b""


@pytest.mark.parametrize(
    "document",
    [[], "x", {"bundleType": "cer.ai.execution.v1"}, {"snapshot": "x"}, {"certificateHash": 1}],
)
def test_verify_rejects_wrong_types_with_a_reason(document: Any, tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(document), "utf-8")
    result = cerkit("verify", "--json", path)
    assert result.returncode == 1
    one_error_line(result, "SCHEMA_ERROR")
    report = json.loads(result.stdout)
    assert report["verdict"] == "FAILED"


def test_canonical_of_a_lone_surrogate_under_jcs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b'{"a": "\\ud800"}')
    result = cerkit("canonical", "--profile", "jcs-v1", path)
    assert result.returncode == 1
    one_error_line(result, "CANONICALIZATION_ERROR")
    result = cerkit("canonical", path)
    assert (result.returncode, result.stdout) == (0, b'{"a":"\\ud800"}')


@pytest.mark.parametrize("verb", ["canonical", "seal", "verify"])
def test_missing_file_is_an_operational_error(verb: str, tmp_path: Path) -> None:
    result = cerkit(verb, tmp_path / "nope.json")
    assert result.returncode == 3
    one_error_line(result, "IO_ERROR")


@pytest.mark.parametrize("verb", ["canonical", "seal", "verify"])
def test_a_directory_is_an_operational_error(verb: str, tmp_path: Path) -> None:
    result = cerkit(verb, tmp_path)
    assert result.returncode == 3
    one_error_line(result, "IO_ERROR")


@pytest.mark.parametrize(
    "argv",
    [
        ("canonical", "--profile", "jcs-v9"),
        ("verify",),
        ("seal", "--bogus"),
        ("frobnicate",),
        (),
    ],
)
def test_usage_errors_exit_2_without_a_traceback(argv: tuple[str, ...]) -> None:
    result = cerkit(*argv)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert result.stderr


# --- the verbs doing their jobs -------------------------------------------------------------


def test_canonical_writes_the_bytes_without_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_bytes(b'{"b": 1.0, "a": [1e21, 1e-7, 100000000000000000001], "\xf0\x9f\x98\x80": 0}')
    result = cerkit("canonical", path)
    assert result.returncode == 0
    assert result.stdout == b'{"a":[1e+21,1e-7,100000000000000000000],"b":1,"\xf0\x9f\x98\x80":0}'
    assert cerkit("canonical", "-", stdin=path.read_bytes()).stdout == result.stdout


def test_seal_then_verify_round_trips_and_tampering_fails(tmp_path: Path) -> None:
    args = tmp_path / "args.json"
    args.write_text(json.dumps(ARGS), "utf-8")
    sealed = cerkit("seal", "--created-at", CREATED_AT, args)
    assert sealed.returncode == 0, sealed.stderr
    record = tmp_path / "record.json"
    record.write_bytes(sealed.stdout)
    bundle = json.loads(sealed.stdout)
    assert bundle["createdAt"] == CREATED_AT
    verified = cerkit("verify", record)
    assert verified.returncode == 0 and verified.stderr == b""
    assert verified.stdout.startswith(b"VERIFIED")
    bundle["snapshot"]["output"] = "5"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(bundle), "utf-8")
    result = cerkit("verify", record, tampered)
    assert result.returncode == 1
    error_line, summary = result.stderr.decode("utf-8").splitlines()
    assert error_line.startswith("cerkit: ") and "OUTPUT_HASH_MISMATCH" in error_line
    assert summary == "2 records: 1 VERIFIED, 1 FAILED"


def test_seal_of_jsonl_uses_each_lines_created_at(tmp_path: Path) -> None:
    lines = [
        {**ARGS, "executionId": "a", "createdAt": "2026-01-01T00:00:00.000Z"},
        {**ARGS, "executionId": "b"},
        {**ARGS, "executionId": "c", "createdAt": "2026-03-03T00:00:00.000Z"},
    ]
    path = tmp_path / "batch.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), "utf-8")
    result = cerkit("seal", "--created-at", CREATED_AT, path)
    assert result.returncode == 0, result.stderr
    bundles = [json.loads(line) for line in result.stdout.splitlines()]
    assert [b["createdAt"] for b in bundles] == [
        "2026-01-01T00:00:00.000Z",
        CREATED_AT,
        "2026-03-03T00:00:00.000Z",
    ]
    assert all("createdAt" not in b["snapshot"] for b in bundles)
    sealed = tmp_path / "sealed.jsonl"
    sealed.write_bytes(result.stdout)
    verified = cerkit("verify", "--json", sealed)
    assert verified.returncode == 0
    reports = [json.loads(line) for line in verified.stdout.splitlines()]
    assert [r["verdict"] for r in reports] == ["VERIFIED"] * 3
    assert [r["source"] for r in reports] == [f"{sealed}:{n}" for n in (1, 2, 3)]


def test_seal_of_jsonl_reports_each_bad_line_and_seals_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "batch.jsonl"
    path.write_text(json.dumps(ARGS) + "\n{oops\n" + json.dumps(ARGS) + "\n", "utf-8")
    result = cerkit("seal", path)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 2
    one_error_line(result, "MALFORMED_JSON")
    assert ":2:" in result.stderr.decode()


def test_verify_json_prints_one_report_per_record_and_the_worst_exit_code(
    tmp_path: Path,
) -> None:
    good = cerkit("seal", "--created-at", CREATED_AT, "-", stdin=json.dumps(ARGS).encode())
    bundle = json.loads(good.stdout)
    bad = {**bundle, "createdAt": "2030-01-01T00:00:00.000Z"}
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(json.dumps(b) for b in (bundle, bad, bundle)) + "\n", "utf-8")
    result = cerkit("verify", "--json", batch)
    assert result.returncode == 1
    reports = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["verdict"] for r in reports] == ["VERIFIED", "FAILED", "VERIFIED"]
    assert "CERTIFICATE_HASH_MISMATCH" in {c["reason"] for c in reports[1]["checks"]}
    one_error_line(result, "CERTIFICATE_HASH_MISMATCH", "3 records: 2 VERIFIED, 1 FAILED")
    result = cerkit("verify", "--json", batch, tmp_path / "missing.json")
    assert result.returncode == 3  # a check that could not run outranks a failure
    assert len(result.stdout.splitlines()) == 4


def test_verify_accepts_a_project_bundle() -> None:
    project = Path(__file__).parent / "vectors" / "nexart" / "project-bundle.json"
    result = cerkit("verify", "--json", project)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "VERIFIED"


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b"[6.087485773851339e16]", b"[60874857738513390]"),
        (b'{"n": 1152921504606847000}', b'{"n":1152921504606847000}'),  # docs/spec.md 3.6
    ],
)
def test_canonical_jcs_output_is_accepted_again_unchanged(
    tmp_path: Path, document: bytes, expected: bytes
) -> None:
    once = cerkit("canonical", "--profile", "jcs-v1", "-", stdin=document)
    assert (once.returncode, once.stdout) == (0, expected), once.stderr
    again = cerkit("canonical", "--profile", "jcs-v1", "-", stdin=once.stdout)
    assert (again.returncode, again.stdout) == (0, expected), again.stderr
