"""No secret ever reaches a record: not from the environment, arguments, outputs or errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cerkit.capture.secrets import REDACTED, is_secret_name, looks_like_secret, scrub

API_KEY = "plain-env-secret-value-0001"
CERKIT = str(Path(sys.executable).with_name("cerkit"))
TOKENS = (
    "sk-proj-" + "Zx9" * 12,
    "ghp_" + "Qw3" * 12,
    "AKIAIOSFODNN7EXAMPLE",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "xK9mP2qL7vN4wR8tY3zA6bC1dE5fG0hJ",
)
NOT_SECRETS = (
    "/usr/lib/python3.11/site-packages/numpy/core/_multiarray_umath.so",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "The quick brown fox jumps over 13 lazy dogs",
    "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
    "--input=data/train_v2.csv",
    __import__("base64").b64encode(bytes(range(256)) * 4).decode(),  # data, not a token
)


@pytest.mark.parametrize("token", TOKENS)
def test_credential_looking_values_are_detected(token: str) -> None:
    assert looks_like_secret(token)
    assert looks_like_secret(f"Authorization: Bearer {token}")
    assert token not in json.dumps(scrub({"note": f"use {token} here", "list": [token]}))


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_ordinary_values_are_kept(text: str) -> None:
    assert not looks_like_secret(text)
    assert scrub({"value": text}) == {"value": text}


def test_names_decide_for_strings_but_keep_counts_and_flags() -> None:
    assert is_secret_name("SOME_API_KEY") and is_secret_name("password")
    assert not is_secret_name("maxTokens") and not is_secret_name("tokenizer")
    assert scrub({"api_key": "short", "max_tokens": 64, "use_auth_token": True}) == {
        "api_key": REDACTED, "max_tokens": 64, "use_auth_token": True,
    }  # fmt: skip


def test_digests_under_key_like_names_are_kept() -> None:
    digest = "sha256:" + "ab" * 32
    assert scrub({"config/api_key.json": digest}) == {"config/api_key.json": digest}


def test_url_passwords_are_cut_out_in_place() -> None:
    assert scrub("postgresql://app:hunter2hunter2@db:5432/x") == (
        f"postgresql://app:{REDACTED}@db:5432/x"
    )


PROGRAM = textwrap.dedent(
    """
    import sys
    import cerkit
    from cerkit.ledger import shared_record_store

    TOKENS = {tokens!r}

    @cerkit.record
    def call(prompt, api_key=None, headers=None):
        if prompt == "fail":
            raise RuntimeError("upstream rejected key " + TOKENS[1])
        return {{"echo": prompt, "token": TOKENS[4]}}

    call("hi " + TOKENS[0], api_key="short-but-named", headers={{"Authorization": TOKENS[3]}})
    try:
        call("fail")
    except RuntimeError:
        pass
    shared_record_store(None).flush()
    """
)


def test_no_secret_appears_in_any_record_or_in_the_database_file(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text(PROGRAM.format(tokens=TOKENS), encoding="utf-8")
    store = tmp_path / "ledger.db"
    env = {**os.environ, "SOME_API_KEY": API_KEY, "CERKIT_STORE": str(store),
           "CERKIT_ENV_ALLOWLIST": "SOME_*", "OMP_NUM_THREADS": TOKENS[2]}  # fmt: skip
    subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, check=True, timeout=120)
    cmd = [CERKIT, "record", "--store", str(store), "--",
           sys.executable, "-c", "print(1)", "--token", TOKENS[0]]  # fmt: skip
    subprocess.run(cmd, cwd=tmp_path, env=env, check=True, timeout=120, capture_output=True)
    export = subprocess.run(
        [CERKIT, "records", "export", "--store", str(store)],
        env=env, check=True, timeout=120, capture_output=True, text=True,
    )  # fmt: skip
    records = [json.loads(line) for line in export.stdout.splitlines()]
    assert len(records) == 3
    assert any(r["snapshot"]["execution"]["status"] == "error" for r in records)
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("ledger.db*"))
    for secret in (API_KEY, "short-but-named", *TOKENS):
        assert secret not in export.stdout, secret
        assert secret.encode() not in raw, secret
    assert "SOME_API_KEY" in export.stdout  # the name says a secret was there, not its value
