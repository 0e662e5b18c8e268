"""The project's disclosure policy, ``[tool.cerkit.disclosure]`` (docs/config.md).

Checked where it is read: ``load_policy`` (precedence, validation naming file and key),
``cerkit seal`` and ``cerkit redact`` run as a user runs them (subprocesses, in a project
folder), and the recorder.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from cerkit.capture.recorder import record
from cerkit.config import ConfigError
from cerkit.disclosure.policy import DisclosurePolicy, load_policy
from cerkit.disclosure.privacy import Privacy
from cli_runner import cerkit, clean_error
from trust_fixtures import yes_no_args

ARGS = yes_no_args(question="Jane Roe asks: is order 99 refundable?")
NO_VARIABLES = {"CERKIT_DISCLOSURE_FIELDS": "", "CERKIT_DISCLOSURE_WITHHOLD": ""}


def project(tmp_path: Path, table: str, *, pyproject: bool = False) -> Path:
    """A project folder whose configuration holds ``table`` as its disclosure section."""
    if pyproject:
        (tmp_path / "pyproject.toml").write_text(
            "[project]\nname = 'app'\n\n[tool.cerkit.disclosure]\n" + table
        )
    else:
        (tmp_path / "cerkit.toml").write_text("[disclosure]\n" + table)
    (tmp_path / "args.json").write_text(json.dumps(ARGS))
    return tmp_path


def test_the_file_is_read_and_variables_then_flags_override_it(tmp_path: Path) -> None:
    project(tmp_path, 'fields = ["input", "output"]\nwithhold = ["snapshot.output"]\n')
    assert load_policy(tmp_path, environ={}) == DisclosurePolicy(
        fields=("input", "output"), withhold=("snapshot.output",)
    )
    env = {"CERKIT_DISCLOSURE_FIELDS": "prompt,input", "CERKIT_DISCLOSURE_CONTENT": "full"}
    assert load_policy(tmp_path, environ=env).fields == ("prompt", "input")
    flagged = load_policy(tmp_path, environ=env, flags={"fields": "output", "withhold": None})
    assert flagged.fields == ("output",) and flagged.withhold == ("snapshot.output",)
    # a layer asking for hash-only content clears the fields of the layers below it
    hashed = load_policy(tmp_path, environ={"CERKIT_DISCLOSURE_CONTENT": "hash"})
    assert hashed.content == "hash" and hashed.fields == ()


def test_pyproject_tool_cerkit_disclosure_is_read(tmp_path: Path) -> None:
    project(tmp_path, 'content = "hash"\nmask = "app.privacy:scrub"\n', pyproject=True)
    policy = load_policy(tmp_path, environ={})
    assert policy.content == "hash" and policy.mask == "app.privacy:scrub"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("field = []\n", "disclosure.field: unknown key"),
        ('fields = ["input", "model"]\n', "disclosure.fields: 'model' cannot be disclosable"),
        ("fields = 3\n", "disclosure.fields: must be a list of strings"),
        ('content = "partial"\n', 'disclosure.content: must be "full" or "hash"'),
        ('withhold = ["input"]\n', "disclosure.withhold: 'input' is not a snapshot path"),
        ('mask = "scrub"\n', "disclosure.mask: must be an import path"),
        ('content = "hash"\nfields = ["input"]\n', 'disclosure.content: "hash" keeps no'),
    ],
)
def test_a_bad_policy_names_the_file_and_key(tmp_path: Path, table: str, message: str) -> None:
    project(tmp_path, table)
    with pytest.raises(ConfigError) as caught:
        load_policy(tmp_path, environ={})
    assert caught.value.message.startswith(f"{tmp_path / 'cerkit.toml'}: ")
    assert message in caught.value.message


def test_a_bad_variable_is_named_as_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_policy(tmp_path, environ={"CERKIT_DISCLOSURE_FIELDS": "model"})
    assert caught.value.message.startswith("$CERKIT_DISCLOSURE_FIELDS: fields: 'model'")


def test_seal_follows_the_policy_and_redact_takes_its_default_withheld_paths(
    tmp_path: Path,
) -> None:
    here = project(tmp_path, 'fields = ["input", "output"]\nwithhold = ["snapshot.output"]\n')
    sealed = cerkit("seal", "args.json", cwd=here)
    assert sealed.returncode == 0, sealed.stderr
    bundle = json.loads(sealed.stdout)
    assert bundle["snapshot"]["disclosure"]["fields"] == ["input", "output"]
    kept = here / ".cerkit" / "openings" / (bundle["certificateHash"][7:] + ".json")
    assert f"openings: {kept.relative_to(here)}" in sealed.stderr
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    (here / "record.json").write_text(sealed.stdout)
    redacted = cerkit("redact", "record.json", "-o", "shared.json", cwd=here)
    assert redacted.returncode == 0, redacted.stderr
    shared = json.loads((here / "shared.json").read_text())
    assert shared["meta"]["disclosure"]["withheld"] == ["snapshot.output"]
    assert "outputHash" not in shared["snapshot"] and '"yes"' not in json.dumps(shared)
    verified = cerkit("verify", "shared.json", cwd=here)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("VERIFIED (partial disclosure: 1 field withheld)")


def test_flags_and_variables_override_the_policy_for_seal(tmp_path: Path) -> None:
    here = project(tmp_path, 'fields = ["input", "output"]\n')
    plain = cerkit("seal", "--no-disclosable", "args.json", cwd=here)
    assert plain.returncode == 0 and "disclosure" not in json.loads(plain.stdout)["snapshot"]
    env = {"CERKIT_DISCLOSURE_FIELDS": ""}
    assert (
        "disclosure"
        not in json.loads(cerkit("seal", "args.json", cwd=here, env=env).stdout)["snapshot"]
    )
    chosen = cerkit("seal", "--fields", "prompt", "--disclosable", "o.json", "args.json", cwd=here)
    assert json.loads(chosen.stdout)["snapshot"]["disclosure"]["fields"] == ["prompt"]
    assert json.loads((here / "o.json").read_text())["salts"].keys() == {"snapshot.prompt"}


def test_hash_only_content_and_a_mask_by_import_path_apply_to_seal(tmp_path: Path) -> None:
    here = project(tmp_path, 'content = "hash"\nmask = "scrubbing:names"\n')
    (here / "scrubbing.py").write_text(
        "import json\n\n\ndef names(value):\n"
        "    return json.loads(json.dumps(value).replace('Jane Roe', '[name]'))\n"
    )
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(here), os.environ.get("PYTHONPATH")]))}
    sealed = cerkit("seal", "args.json", cwd=here, env=env)
    assert sealed.returncode == 0, sealed.stderr
    snapshot = json.loads(sealed.stdout)["snapshot"]
    assert not {"prompt", "input", "output"} & set(snapshot)
    assert snapshot["privacy"]["content"] == "hash"
    assert snapshot["privacy"]["mask"]["entryPoint"] == "scrubbing:names"
    (here / "record.json").write_text(sealed.stdout)
    masked = dict(ARGS["input"])  # type: ignore[arg-type]
    masked["messages"] = [{"role": "user", "content": "[name] asks: is order 99 refundable?"}]
    (here / "input.json").write_text(json.dumps(masked))
    proven = cerkit("verify", "--content", "input.json", "record.json", cwd=here)
    assert proven.returncode == 0, proven.stdout + proven.stderr


def test_a_bad_policy_stops_seal_with_a_usage_error_naming_file_and_key(tmp_path: Path) -> None:
    here = project(tmp_path, 'fields = ["model"]\n')
    result = cerkit("seal", "args.json", cwd=here)
    clean_error(result, 2, f"{here / 'cerkit.toml'}: disclosure.fields: 'model'")
    missing = project(tmp_path, 'mask = "no_such_module:f"\n')
    clean_error(
        cerkit("seal", "args.json", cwd=missing),
        2,
        f"{here / 'cerkit.toml'}: disclosure.mask: cannot import no_such_module",
    )
    (tmp_path / "broken.py").write_text("def names(value:\n")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(here), os.environ.get("PYTHONPATH")]))}
    broken = project(tmp_path, 'mask = "broken:names"\n')
    clean_error(cerkit("seal", "args.json", cwd=broken, env=env), 2, "cannot import broken")
    clean_error(
        cerkit("seal", "--content", "hash", "--fields", "input", "args.json", cwd=broken),
        2,
        "--content hash keeps no content to disclose",
    )
    bare = project(tmp_path, "")
    clean_error(
        cerkit("redact", "args.json", "-o", "x.json", cwd=bare, env=NO_VARIABLES),
        2,
        "name the paths to withhold",
    )


def chat(question: str, temperature: float = 0.0) -> dict[str, Any]:
    return {"answer": "yes" if "refund" in question else "no"}


def test_the_recorder_seals_by_the_project_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path, 'fields = ["output"]\n')
    monkeypatch.chdir(tmp_path)
    recorded = record(store=False)(chat)
    recorded("refund?")
    snapshot = recorded.last_record["snapshot"]  # type: ignore[attr-defined]
    assert snapshot["disclosure"]["fields"] == ["output"]
    assert snapshot["privacy"]["disclosable"] is True
    assert len(list((tmp_path / ".cerkit" / "openings").iterdir())) == 1
    # an explicit privacy argument beats the policy
    opted_out = record(store=False, privacy=Privacy())(chat)
    opted_out("refund?")
    assert "disclosure" not in opted_out.last_record["snapshot"]  # type: ignore[attr-defined]


def test_the_recorder_refuses_a_policy_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project(tmp_path, 'content = "redacted"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"disclosure\.content"):
        record(store=False)(chat)
