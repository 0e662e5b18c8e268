"""Secrets that reached records before (issue 9), each kept out now.

Command lines (values glued to options, values after secret-named options whatever their
length, ``-pPASS``, ``-u user:pw``, ``env NAME=...``), AWS-style keys with several ``/``,
keyword names such as ``pwd``, ``auth`` and ``pass``, tokens used as dict keys, and tokens
or URL passwords in file paths and the working directory. The end-to-end tests record real
programs with ``cerkit record`` and the decorator, and read the store file's bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from cerkit.capture.secrets import REDACTED, is_secret_name, looks_like_secret, scrub, scrub_argv

CERKIT = str(Path(sys.executable).with_name("cerkit"))
TOKEN = "xK9mP2qL7vN4wR8tY3zA6bC1dE5fG0hJ"  # high entropy, no known prefix
GITHUB = "ghp_" + "Qw3" * 12
AWS_SECRET = "wJa/lrXUtn/FEMI/K7MDENGbPxRfiCYEXAMPLEKEY"  # 40 characters, three "/"


# --- the filter itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "secret"),
    [
        (["tool", "--api-key=abc123"], "abc123"),
        (["tool", "--token=t0k"], "t0k"),
        (["tool", "--password=X"], "=X"),
        (["tool", "--password", "hunter2"], "hunter2"),
        (["tool", "--api-key", "k1"], "k1"),
        (["mysql", "-pPASS", "db"], "PASS"),
        (["tool", "-pS3cr3t!"], "S3cr3t!"),
        (["curl", "-u", "admin:pw", "https://example.com"], "admin:pw"),
        (["curl", "--user=admin:pw"], ":pw"),
        (["curl", "-uadmin:pw"], ":pw"),
        (["env", "API_KEY=short", "python", "x.py"], "short"),
        (["env", "DB_PASS=p4", "run"], "p4"),
        (["curl", "-H", "X-Api-Key: abc", "https://example.com"], "abc"),
        (["git", "clone", "https://u:pw@host/r.git"], ":pw@"),
        (["aws", "configure", "set", "x", AWS_SECRET], AWS_SECRET),
    ],
)
def test_scrub_argv_cuts_every_secret_out_of_a_command_line(argv: list[str], secret: str) -> None:
    shown = scrub_argv(argv)
    assert secret not in " ".join(shown), shown
    assert REDACTED in " ".join(shown)
    assert shown[0] == argv[0] and len(shown) == len(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ["ssh", "-p", "2222", "host"],
        ["server", "-p8080"],
        ["find", ".", "-name", "*.py", "-print", "-prune"],
        ["gcc", "-pthread", "-pipe", "x.c"],
        ["python", "train.py", "--max-tokens=64", "--max-tokens", "64", "--epochs=3"],
        ["env", "OMP_NUM_THREADS=4", "python", "x.py"],
        ["curl", "-u", "admin", "https://example.com"],
        ["curl", "-H", "Accept: application/json"],
    ],
)
def test_scrub_argv_keeps_ordinary_command_lines(argv: list[str]) -> None:
    assert scrub_argv(argv) == argv


def test_aws_style_secrets_with_several_slashes_are_secrets_and_paths_are_not() -> None:
    assert looks_like_secret(AWS_SECRET)
    assert looks_like_secret(f"aws_secret_access_key = {AWS_SECRET}")
    assert not looks_like_secret("/usr/lib/python3.11/site-packages/numpy/core/_umath.so")
    assert not looks_like_secret("home/JohnSmith/Projects/MyProjectNumber2/SubFolderName")


@pytest.mark.parametrize("name", ["pwd", "auth", "pass", "db_pass", "httpAuth", "user-pwd"])
def test_short_secret_words_are_secret_names(name: str) -> None:
    assert is_secret_name(name)
    assert scrub({name: "s3"}) == {name: REDACTED}


@pytest.mark.parametrize("name", ["author", "compass", "bypass", "passthrough", "max-tokens"])
def test_words_that_only_contain_them_are_not(name: str) -> None:
    assert not is_secret_name(name)


def test_tokens_used_as_dict_keys_are_cut_and_values_kept_apart() -> None:
    value = {TOKEN: 1, TOKEN[::-1]: 2, f"/data/{GITHUB}/train.csv": "sha256:" + "a" * 64}
    scrubbed = scrub(value)
    text = json.dumps(scrubbed)
    assert TOKEN not in text and TOKEN[::-1] not in text and GITHUB not in text
    assert sorted(v for v in scrubbed.values() if isinstance(v, int)) == [1, 2]
    assert scrubbed[f"/data/{REDACTED}/train.csv"] == "sha256:" + "a" * 64


@pytest.mark.parametrize(
    "path",
    [f"/tmp/{TOKEN}/data.csv", f"/tmp/run-{GITHUB}/x", "https://u:pw@h/x.json", "a://b:c@d"],
)
def test_tokens_and_url_passwords_in_paths_are_cut(path: str) -> None:
    assert looks_like_secret(path)
    for secret in (TOKEN, GITHUB, ":pw@", ":c@"):
        assert secret not in scrub(path)


# --- end to end: what a store file holds after real recordings -----------------------------


def _all_text(store: Path, env: dict[str, str]) -> tuple[str, bytes]:
    export = subprocess.run(
        [CERKIT, "records", "export", "--store", str(store)],
        env=env, check=True, timeout=120, capture_output=True, text=True,
    )  # fmt: skip
    raw = b"".join(path.read_bytes() for path in store.parent.glob(store.name + "*"))
    return export.stdout, raw


def test_cerkit_record_keeps_argv_paths_and_cwd_secrets_out_of_the_store(tmp_path: Path) -> None:
    workdir = tmp_path / f"clone-{TOKEN}"
    workdir.mkdir()
    data = workdir / f"input-{GITHUB}.csv"
    data.write_text("a,b\n1,2\n")
    store = tmp_path / "ledger.db"
    env = {**os.environ, "CERKIT_STORE": str(store)}
    secrets = ["abc123", "t0k", "hunter2", "PASSWORD-X", "PASS", "admin:pw", "k1", AWS_SECRET]
    program = [sys.executable, "-c", "print(1)", "--api-key=abc123", "--token=t0k",
               "--password", "hunter2", "--password=PASSWORD-X", "-pPASS", "-u", "admin:pw",
               "--api-key", "k1", "--aws", AWS_SECRET]  # fmt: skip
    cmd = [CERKIT, "record", "--store", str(store), "--input", str(data), "--",
           "env", "API_KEY=envsecret", *program]  # fmt: skip
    done = subprocess.run(cmd, cwd=workdir, env=env, timeout=120, capture_output=True)
    assert done.returncode == 0, done.stderr
    text, raw = _all_text(store, env)
    (record,) = [json.loads(line) for line in text.splitlines()]
    for secret in [*secrets, "envsecret", TOKEN, GITHUB]:
        assert secret not in text, secret
        assert secret.encode() not in raw, secret
    files = record["snapshot"]["execution"]["files"]["inputs"]
    assert len(files) == 1 and REDACTED in next(iter(files))


DECORATED = textwrap.dedent(
    """
    import cerkit
    from cerkit.ledger import shared_record_store

    @cerkit.record
    def call(prompt, pwd=None, auth=None, **options):
        return {{"echo": prompt, {token!r}: "a token as a key"}}

    call({{{token!r}: "token as an input key", "path": {path!r}}},
         pwd="pw-Alpha1", auth=("admin", "pw-Bravo2"), **{{"pass": "pw-Charlie3"}})
    shared_record_store(None).flush()
    """
)


def test_the_decorator_keeps_keyword_secrets_and_token_keys_out_of_the_store(
    tmp_path: Path,
) -> None:
    workdir = tmp_path / f"work-{GITHUB}"
    workdir.mkdir()
    script = workdir / "app.py"
    path = f"/data/{TOKEN[::-1]}/in.csv"
    script.write_text(DECORATED.format(token=TOKEN, path=path), encoding="utf-8")
    store = tmp_path / "ledger.db"
    env: dict[str, Any] = {**os.environ, "CERKIT_STORE": str(store)}
    subprocess.run([sys.executable, str(script)], cwd=workdir, env=env, check=True, timeout=120)
    text, raw = _all_text(store, env)
    (record,) = [json.loads(line) for line in text.splitlines()]
    for secret in ("pw-Alpha1", "pw-Bravo2", "pw-Charlie3", TOKEN, TOKEN[::-1], GITHUB):
        assert secret not in text, secret
        assert secret.encode() not in raw, secret
    kwargs = record["snapshot"]["input"]["kwargs"]
    assert kwargs == {"pwd": REDACTED, "auth": REDACTED, "pass": REDACTED}
    assert "git" in record["snapshot"]["environment"]  # its source names the cwd, cut
