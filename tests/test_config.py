"""The project configuration: discovery upward, precedence, validation with file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from cerkit.config import ConfigError, find, load


def test_cerkit_toml_is_found_from_a_subfolder(tmp_path: Path) -> None:
    (tmp_path / "cerkit.toml").write_text('[drift]\nrtol = 1e-6\nnondeterministic = ["app:roll"]\n')
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find(sub) == tmp_path / "cerkit.toml"
    config = load(sub, environ={})
    assert config.drift.rtol == 1e-6
    assert config.drift.declared_nondeterministic("sha256:ab", "app:roll")


def test_pyproject_without_a_cerkit_table_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.cerkit.store]\nurl = "sqlite:///x.db"\n')
    inner = tmp_path / "pkg"
    inner.mkdir()
    (inner / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find(inner) == tmp_path / "pyproject.toml"
    assert load(inner, environ={}).store.url == "sqlite:///x.db"


def test_flags_beat_variables_which_beat_the_file(tmp_path: Path) -> None:
    (tmp_path / "cerkit.toml").write_text('[store]\nurl = "file"\n[drift]\natol = 1\n')
    env = {"CERKIT_STORE": "env", "CERKIT_DRIFT_ATOL": "2"}
    assert load(tmp_path, environ={}).store.url == "file"
    assert load(tmp_path, environ=env).store.url == "env"
    assert load(tmp_path, environ=env).drift.atol == 2.0
    flagged = load(tmp_path, environ=env, flags={"store.url": "flag", "drift.atol": None})
    assert flagged.store.url == "flag"
    assert flagged.drift.atol == 2.0


def test_per_key_tolerance_wins_over_the_default(tmp_path: Path) -> None:
    (tmp_path / "cerkit.toml").write_text(
        '[drift]\nrtol = 1e-3\n[[drift.tolerance]]\nmatch = "app:predict"\natol = 0.5\n'
        '[[drift.tolerance]]\nmatch = "sha256:abcd"\ntext = "whitespace"\n'
    )
    drift = load(tmp_path, environ={}).drift
    assert drift.tolerance_for("sha256:ff", "app:predict").atol == 0.5
    assert drift.tolerance_for("sha256:ff", "app:predict").rtol == 1e-3
    assert drift.tolerance_for("sha256:abcdef", None).text == "whitespace"
    assert drift.tolerance_for("sha256:99", "other:f").rtol == 1e-3


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("[drift]\nrtol = -1\n", "drift.rtol"),
        ("[drift]\nrtol = 'x'\n", "drift.rtol"),
        ("[drift]\ntext = 'upper'\n", "drift.text"),
        ("[drift]\nspeed = 1\n", "drift.speed"),
        ("[drift.tolerance]\nrtol = 1\n", "drift.tolerance"),
        ("[[drift.tolerance]]\nrtol = 1\n", "drift.tolerance[0].match"),
        ("[stores]\n", "stores"),
        ("[store]\nurl = 3\n", "store.url"),
        ("[drift\n", "not valid TOML"),
    ],
)
def test_a_bad_file_names_the_file_and_the_key(tmp_path: Path, text: str, where: str) -> None:
    (tmp_path / "cerkit.toml").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, environ={})
    assert str(tmp_path / "cerkit.toml") in str(caught.value)
    assert where in str(caught.value)
    assert str(caught.value).startswith("USAGE_ERROR")


def test_a_bad_variable_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"drift\.atol"):
        load(tmp_path, environ={"CERKIT_DRIFT_ATOL": "lots"})
