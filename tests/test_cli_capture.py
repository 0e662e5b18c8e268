"""The capture verbs end to end, as subprocesses: fingerprint, record, records, demo."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

CERKIT = str(Path(sys.executable).with_name("cerkit"))


def cerkit(
    *args: str, cwd: Path | None = None, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([CERKIT, *args], cwd=cwd, capture_output=True, timeout=180, **kwargs)  # type: ignore[call-overload, no-any-return]


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_fingerprint_prints_every_part_and_json() -> None:
    done = cerkit("fingerprint", "--json")
    assert done.returncode == 0
    environment = json.loads(done.stdout)
    assert environment["schema"] == "cerkit.environment.v1"
    assert {"python", "os", "locale", "hardware", "gpus", "numeric", "packages", "imported",
            "envVars", "git"} <= set(environment)  # fmt: skip
    human = cerkit("fingerprint").stdout.decode()
    assert human.startswith("digest    sha256:") and "hardware" in human


PROGRAM = textwrap.dedent(
    """
    import sys
    text = open(sys.argv[1], encoding="utf-8").read()
    open(sys.argv[2], "w", encoding="utf-8").write(text.upper())
    sys.stdout.write("wrote %d chars\\n" % len(text))
    sys.stderr.write("warning: shouting\\n")
    sys.exit(int(sys.argv[3]))
    """
)


@pytest.mark.parametrize("exit_code", [0, 3])
def test_record_runs_a_real_program_and_records_its_files(tmp_path: Path, exit_code: int) -> None:
    (tmp_path / "upper.py").write_text(PROGRAM)
    (tmp_path / "in.txt").write_text("hello drift\n")
    store = tmp_path / "store"
    done = cerkit("record", "--store", str(store), "--input", "in.txt", "--output", "out.txt",
                  "--", sys.executable, "upper.py", "in.txt", "out.txt", str(exit_code),
                  cwd=tmp_path)  # fmt: skip
    assert done.returncode == exit_code
    assert done.stdout == b"wrote 12 chars\n"
    assert done.stderr == b"warning: shouting\n"
    assert (tmp_path / "out.txt").read_text() == "HELLO DRIFT\n"
    listed = cerkit("records", "list", "--store", str(store), "--json")
    [summary] = [json.loads(line) for line in listed.stdout.splitlines()]
    shown = cerkit(
        "records", "show", "--store", str(store), "--json", summary["certificateHash"][7:20]
    )
    record = json.loads(shown.stdout)
    execution = record["snapshot"]["execution"]
    assert execution["kind"] == "command" and execution["exitCode"] == exit_code
    assert execution["status"] == ("ok" if exit_code == 0 else "error")
    assert execution["files"]["inputs"] == {"in.txt": sha(b"hello drift\n")}
    assert execution["files"]["outputs"] == {"out.txt": sha(b"HELLO DRIFT\n")}
    assert execution["stdoutDigest"] == sha(done.stdout)
    assert execution["stderrDigest"] == sha(done.stderr)
    assert execution["cwd"] == str(tmp_path) and execution["argv"][1] == "upper.py"
    assert execution["codeDigest"] == sha(PROGRAM.encode())  # the script, not the interpreter
    export = tmp_path / "all.jsonl"
    assert cerkit("records", "export", "--store", str(store), "-o", str(export)).returncode == 0
    verified = cerkit("verify", str(export))
    assert verified.returncode == 0 and b"VERIFIED" in verified.stdout


def test_record_passes_a_missing_program_as_a_usage_error(tmp_path: Path) -> None:
    done = cerkit("record", "--store", str(tmp_path), "--", "no-such-program-here", cwd=tmp_path)
    assert done.returncode == 2 and b"command not found" in done.stderr
    assert cerkit("record", "--store", str(tmp_path)).returncode == 2


def test_records_list_filters_by_entry_point_and_time(tmp_path: Path) -> None:
    store = str(tmp_path / "ledger.db")
    for name in ("alpha", "beta", "alpha"):
        assert cerkit("record", "--store", store, "--name", name, "--", "true").returncode == 0
    alpha = cerkit("records", "list", "--store", store, "--entry-point", "alpha", "--json")
    assert len(alpha.stdout.splitlines()) == 2
    assert len(cerkit("records", "list", "--store", store, "--since", "2999-01-01").stdout) == 0
    assert (
        len(
            cerkit("records", "list", "--store", store, "--until", "2999-01-01").stdout.splitlines()
        )
        == 3
    )
    assert cerkit("records", "show", "--store", store, "sha256:" + "0" * 64).returncode == 1


@pytest.mark.slow
def test_the_demo_records_verifies_and_can_run_again(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CERKIT_STORE"}
    first = cerkit("demo", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    text = first.stdout.decode()
    steps = [line for line in text.splitlines() if line.startswith(("  1. ", "  2. ", "  3. "))]
    assert sum("VERIFIED" in line for line in steps) >= 3
    assert "tamper check" in text and "FAILED" in text
    assert "threshold 0.5 -> 0.35" in steps[1] and "code changed" in steps[1]
    assert "model weights changed" in steps[2] and "code changed" not in steps[2]
    assert "2 vs 3: DRIFT_EXPLAINED" in text  # the LLM part: an alias re-pointed
    assert len(text.splitlines()) <= 26
    assert (tmp_path / ".cerkit" / "ledger.db").exists()
    again = cerkit("demo", cwd=tmp_path, env=env)
    assert again.returncode == 0 and b"(12 stored)" in again.stdout
    export = tmp_path / "demo.jsonl"
    cerkit("records", "export", "-o", str(export), cwd=tmp_path, env=env)
    verified = cerkit("verify", str(export))
    assert verified.returncode == 0 and verified.stdout.count(b"VERIFIED") == 12


def test_an_interrupted_program_is_still_recorded(tmp_path: Path) -> None:
    import signal
    import time

    store = str(tmp_path / "ledger.db")
    script = "import time, sys; print('up', flush=True); time.sleep(30)"
    process = subprocess.Popen(
        [CERKIT, "record", "--store", store, "--", sys.executable, "-c", script],
        stdout=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stdout.readline() == b"up\n"
    time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    assert process.wait(timeout=60) == 130
    [summary] = [
        json.loads(x)
        for x in cerkit("records", "list", "--store", store, "--json").stdout.splitlines()
    ]
    assert summary["status"] == "error"
