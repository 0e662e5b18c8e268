"""A newcomer's first hour: each friction point tried as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")


def cerkit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("CERKIT_STORE", None)
    env.pop("CERKIT_KEY_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "cerkit", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("argv", [["records", "list"], ["drift"], ["records", "export"]])
def test_read_only_verbs_do_not_create_the_store(tmp_path: Path, argv: list[str]) -> None:
    done = cerkit(tmp_path, *argv)
    assert done.returncode == 3, done.stderr
    assert "no record store at" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / ".cerkit").exists()


def test_keys_generate_takes_dir_after_the_action(tmp_path: Path) -> None:
    done = cerkit(tmp_path, "keys", "generate", "--dir", "d", "--json")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "d").is_dir()
    listed = cerkit(tmp_path, "keys", "list", "--dir", "d", "--json")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout.splitlines()[0])["status"] == "active"
    assert not (tmp_path / ".cerkit").exists()


def test_records_export_takes_json(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    script = "import cerkit\n@cerkit.record(store=%r)\ndef f(x):\n    return x + 1\nf(1)\n"
    env = {**os.environ, "PYTHONPATH": SRC}
    code = script % str(store)
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True, timeout=60)
    done = cerkit(tmp_path, "records", "export", "--json", "--store", str(store))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["certificateHash"].startswith("sha256:")


def test_fingerprint_counts_read_in_the_right_number(tmp_path: Path) -> None:
    done = cerkit(tmp_path, "fingerprint")
    assert done.returncode == 0, done.stderr
    assert "1 entries" not in done.stdout
    assert " entries" in done.stdout or " entry" in done.stdout


def test_counted_nouns() -> None:
    from cerkit._text import counted

    assert counted(1, "entry") == "1 entry"
    assert counted(2, "entry") == "2 entries"
    assert counted(1, "record") == "1 record"
    assert counted(0, "record") == "0 records"
    assert counted(2, "execution key") == "2 execution keys"


ARGS = {
    "executionId": "e",
    "provider": "local",
    "model": "m",
    "prompt": "p",
    "input": "in",
    "output": "out",
    "parameters": {"temperature": 0, "maxTokens": 1},
}


def _sealed_batch(tmp_path: Path, count: int, tampered: int | None = None) -> Path:
    lines = []
    for i in range(count):
        args = tmp_path / f"a{i}.json"
        args.write_text(json.dumps({**ARGS, "executionId": f"e{i}"}))
        done = cerkit(tmp_path, "seal", "--created-at", "2026-01-01T00:00:00.000Z", str(args))
        assert done.returncode == 0, done.stderr
        bundle = json.loads(done.stdout)
        if i == tampered:
            bundle["snapshot"]["output"] = "changed"
        lines.append(json.dumps(bundle))
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_verify_of_a_batch_ends_with_a_summary_and_quiet_prints_only_failures(
    tmp_path: Path,
) -> None:
    batch = _sealed_batch(tmp_path, 3, tampered=1)
    done = cerkit(tmp_path, "verify", str(batch))
    assert done.returncode == 1
    heads = [line.split()[0] for line in done.stdout.splitlines() if not line.startswith(" ")]
    assert heads == ["VERIFIED", "FAILED", "VERIFIED"]
    assert done.stderr.splitlines()[-1] == "3 records: 2 VERIFIED, 1 FAILED"
    quiet = cerkit(tmp_path, "verify", "--quiet", str(batch))
    assert quiet.returncode == 1
    heads = [line.split()[0] for line in quiet.stdout.splitlines() if not line.startswith(" ")]
    assert heads == ["FAILED"]
    assert quiet.stderr.splitlines()[-1] == "3 records: 2 VERIFIED, 1 FAILED"
    single = cerkit(tmp_path, "verify", "--quiet", str(tmp_path / "a0.json"))
    assert single.returncode == 1  # the seal input is not a record: said, and counted
    assert single.stderr.splitlines()[-1] == "1 record: 1 FAILED"


def test_sign_takes_jsonl_and_signs_every_line(tmp_path: Path) -> None:
    batch = _sealed_batch(tmp_path, 3)
    assert cerkit(tmp_path, "keys", "generate", "--dir", "k").returncode == 0
    (key,) = (tmp_path / "k").glob("*.key")
    out = tmp_path / "signed.jsonl"
    done = cerkit(tmp_path, "sign", "--key", str(key), str(batch), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert "3 records" in done.stdout
    signed = [json.loads(line) for line in out.read_text().splitlines()]
    assert [b["meta"]["producer"]["kid"] for b in signed] == [key.stem] * 3
    public = tmp_path / "producer.json"
    assert cerkit(tmp_path, "keys", "export", "--dir", "k", "-o", str(public)).returncode == 0
    checked = cerkit(tmp_path, "verify", "--producer-key", str(public), "--json", str(out))
    assert checked.returncode == 0, checked.stderr
    assert {json.loads(r)["assurance"] for r in checked.stdout.splitlines()} == {"signed"}


def test_sign_of_jsonl_with_a_bad_line_names_it_and_writes_nothing(tmp_path: Path) -> None:
    batch = _sealed_batch(tmp_path, 3, tampered=2)
    before = batch.read_bytes()
    assert cerkit(tmp_path, "keys", "generate", "--dir", "k").returncode == 0
    (key,) = (tmp_path / "k").glob("*.key")
    done = cerkit(tmp_path, "sign", "--key", str(key), str(batch))
    assert done.returncode == 1
    (bad_line, summary) = done.stderr.splitlines()
    assert bad_line.startswith(f"cerkit: {batch}:3: ") and "OUTPUT_HASH_MISMATCH" in bad_line
    assert summary == f"cerkit: {batch}: nothing written: 1 line did not verify"
    assert batch.read_bytes() == before


def test_seal_reports_every_schema_error_each_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"provider": "x", "model": "", "parameters": {"temperature": "hot"}}))
    done = cerkit(tmp_path, "seal", str(bad))
    assert done.returncode == 1 and done.stdout == ""
    (line,) = done.stderr.splitlines()
    assert line.startswith("cerkit: SCHEMA_ERROR: ")
    paths = ["parameters.temperature", "parameters.maxTokens", "snapshot.executionId"]
    paths += ["snapshot.model", "snapshot.prompt", "snapshot.input", "snapshot.output"]
    for path in paths:
        assert f"{path} must be" in line, (path, line)


def _run_script(cwd: Path, relative: str, body: str) -> None:
    script = cwd / relative
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(body)
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("CERKIT_STORE", None)
    subprocess.run([sys.executable, relative], cwd=cwd, env=env, check=True, timeout=60)


SCRIPT = """import cerkit

@cerkit.record
def classify(x, threshold={threshold}):
    return x >= threshold

if __name__ == "__main__":
    classify(0.7)
"""


def test_functions_of_two_scripts_are_named_by_their_files(tmp_path: Path) -> None:
    _run_script(tmp_path, "app.py", SCRIPT.format(threshold=0.5))
    _run_script(tmp_path, "tools/app.py", SCRIPT.format(threshold=0.9))
    listed = cerkit(tmp_path, "records", "list", "--json")
    entries = sorted(json.loads(line)["entryPoint"] for line in listed.stdout.splitlines())
    assert entries == ["app.py:classify", "tools/app.py:classify"]
    found = cerkit(tmp_path, "records", "list", "--entry-point", "tools/app.py:classify")
    assert found.returncode == 0 and len(found.stdout.splitlines()) == 1
    assert found.stderr == ""
    missed = cerkit(tmp_path, "records", "list", "--entry-point", "app:classify")
    assert missed.returncode == 0 and missed.stdout == ""
    assert missed.stderr.splitlines() == [
        "cerkit: no records match (entry point app:classify)",
        "cerkit: a script is recorded by its file: try --entry-point app.py:classify",
    ]


def test_replay_reruns_a_script_function_by_its_path(tmp_path: Path) -> None:
    _run_script(tmp_path, "tools/app.py", SCRIPT.format(threshold=0.5))
    listed = cerkit(tmp_path, "records", "list", "--json")
    (summary,) = [json.loads(line) for line in listed.stdout.splitlines()]
    done = cerkit(tmp_path, "replay", summary["certificateHash"], "-n", "2", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["label"] == "deterministic"
    after = cerkit(tmp_path, "records", "list", "--entry-point", "tools/app.py:classify")
    assert len(after.stdout.splitlines()) == 3  # the original and two replays, nothing else


def test_replay_says_up_front_when_a_record_cannot_be_replayed(tmp_path: Path) -> None:
    code = "import cerkit\n@cerkit.record\ndef f(x):\n    return x\nf(1)\n"
    env = {**os.environ, "PYTHONPATH": SRC}
    env.pop("CERKIT_STORE", None)
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, check=True, timeout=60)
    listed = cerkit(tmp_path, "records", "list", "--json")
    (summary,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert summary["entryPoint"] == "__main__:f"
    done = cerkit(tmp_path, "replay", summary["certificateHash"])
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("cerkit: NOT_REPLAYABLE: __main__:f cannot be replayed: ")
    assert "no file" in line
    again = cerkit(tmp_path, "records", "list")
    assert len(again.stdout.splitlines()) == 1  # no run was started


def test_a_failed_replay_run_names_its_reason_once(tmp_path: Path) -> None:
    _run_script(tmp_path, "app.py", SCRIPT.format(threshold=0.5))
    listed = cerkit(tmp_path, "records", "list", "--json")
    (summary,) = [json.loads(line) for line in listed.stdout.splitlines()]
    (tmp_path / "app.py").write_text("import cerkit\n")  # classify is gone
    done = cerkit(tmp_path, "replay", summary["certificateHash"], "-n", "1")
    assert done.returncode == 3
    (line,) = done.stderr.splitlines()
    assert line.count("IO_ERROR") == 1 and line.count("cerkit:") == 1, line
    assert "has no attribute 'classify'" in line


def test_completion_scripts_come_from_the_parser_and_bash_accepts_them(tmp_path: Path) -> None:
    done = cerkit(tmp_path, "completion", "bash")
    assert done.returncode == 0, done.stderr
    script = tmp_path / "cerkit.bash"
    script.write_text(done.stdout)
    assert subprocess.run(["bash", "-n", str(script)], timeout=30).returncode == 0
    probe = (
        f"source {script}; COMP_WORDS=(cerkit verify --qu); COMP_CWORD=2; _shtab_cerkit; "
        'echo "${COMPREPLY[@]}"'
    )
    completed = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=30)
    assert completed.stdout.split() == ["--quiet"], completed.stderr
    zsh = cerkit(tmp_path, "completion", "zsh")
    assert zsh.returncode == 0 and "#compdef cerkit" in zsh.stdout
    assert cerkit(tmp_path, "completion", "fish").returncode == 2


def test_the_demo_hint_names_a_cerkit_that_runs_when_it_is_not_on_the_path(
    tmp_path: Path,
) -> None:
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    probe = "from cerkit.demo import cli_command; print(cli_command())"
    shown = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60, check=True,
    ).stdout.strip()  # fmt: skip
    assert shown != "cerkit"
    assert shown.startswith((str(venv_bin), sys.executable))
    done = subprocess.run(
        f"{shown} --version", shell=True, cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout.startswith("cerkit "), done.stderr


def _env_without_settings(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": SRC, **extra}
    for name in ("CERKIT_STORE", "CERKIT_KEY_DIR", "CERKIT_NODE_URL"):
        if name not in extra:
            env.pop(name, None)
    return env


def _run(cwd: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cerkit", *args], cwd=cwd, env=_env_without_settings(**extra),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_the_project_config_sets_store_and_key_dir_below_flags_and_variables(
    tmp_path: Path,
) -> None:
    (tmp_path / "cerkit.toml").write_text('[store]\nurl = "data/ledger.db"\nkey_dir = "keys"\n')
    sub = tmp_path / "src" / "deep"
    sub.mkdir(parents=True)
    (sub / "job.py").write_text(SCRIPT.format(threshold=0.5))
    env = _env_without_settings()
    subprocess.run([sys.executable, "job.py"], cwd=sub, env=env, check=True, timeout=60)
    assert (tmp_path / "data" / "ledger.db").exists()  # the recorder read the file too
    assert not (sub / ".cerkit").exists()
    listed = _run(sub, "records", "list")
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == 1, listed.stderr
    assert _run(sub, "keys", "generate").returncode == 0
    assert len(list((tmp_path / "keys").glob("*.key"))) == 1
    # A variable beats the file, a flag beats both.
    other = tmp_path / "other.db"
    by_variable = _run(sub, "records", "list", CERKIT_STORE=str(other))
    assert by_variable.returncode == 3 and str(other) in by_variable.stderr
    by_flag = _run(sub, "records", "list", "--store", str(tmp_path / "data" / "ledger.db"),
                   CERKIT_STORE=str(other))  # fmt: skip
    assert by_flag.returncode == 0 and len(by_flag.stdout.splitlines()) == 1


def test_pyproject_tool_cerkit_names_the_node_for_attest(tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    record.write_text(json.dumps({"not": "sealed"}))
    missing = _run(tmp_path, "attest", "--token", "t", str(record))
    assert missing.returncode == 2 and "no attestation node: give --node URL" in missing.stderr
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.cerkit.store]\nnode_url = "http://127.0.0.1:9"\n'
    )
    configured = _run(tmp_path, "attest", "--token", "t", "--no-store", str(record))
    assert configured.returncode == 3
    assert "NETWORK_ERROR: node http://127.0.0.1:9" in configured.stderr  # it tried that node


def test_a_bad_project_config_is_one_usage_error_naming_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "cerkit.toml").write_text('[store]\ncolour = "blue"\n')
    done = _run(tmp_path, "records", "list")
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line == f"cerkit: USAGE_ERROR: {tmp_path / 'cerkit.toml'}: store.colour: unknown key"


def test_the_recorder_says_once_where_records_go_unless_quiet(tmp_path: Path) -> None:
    body = "import cerkit\n@cerkit.record\ndef f(x):\n    return x\nf(1)\nf(2)\n"
    (tmp_path / "job.py").write_text(body)
    env = _env_without_settings()
    loud = subprocess.run([sys.executable, "job.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    store = (tmp_path / ".cerkit" / "ledger.db").resolve()
    assert loud.stderr.splitlines() == [
        f"cerkit: recording into {store} (CERKIT_QUIET=1 hides this)"
    ]
    env["CERKIT_QUIET"] = "1"
    quiet = subprocess.run([sys.executable, "job.py"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    assert quiet.stderr == ""
    assert len(_run(tmp_path, "records", "list").stdout.splitlines()) == 4
