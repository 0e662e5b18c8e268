"""``cerkit seal --disclosable``, ``cerkit redact``, ``cerkit disclose``, ``verify --content``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cerkit.cli import main
from cerkit.keys import save_private_key
from trust_fixtures import PRODUCER_KEY, T0, yes_no_args

ARGS = yes_no_args()


def test_seal_sign_redact_verify_disclose(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args_file, record = tmp_path / "args.json", tmp_path / "record.json"
    args_file.write_text(json.dumps(ARGS))
    openings = tmp_path / "record.openings.json"
    assert main(["seal", "--disclosable", str(openings), str(args_file)]) == 0
    record.write_text(capsys.readouterr().out)
    assert openings.stat().st_mode & 0o777 == 0o600
    key = tmp_path / "producer.key"
    save_private_key(PRODUCER_KEY, key)
    assert main(["sign", "--key", str(key), str(record)]) == 0
    shared = tmp_path / "shared.json"
    code = main(
        ["redact", str(record), "--withhold", "snapshot.input,snapshot.output", "-o", str(shared)]
    )
    assert code == 0
    text = shared.read_text()
    assert "refundable" not in text and '"yes"' not in text and "inputHash" not in text
    capsys.readouterr()
    assert main(["verify", "--producer-key", str(key), str(shared)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("VERIFIED (partial disclosure: 2 fields withheld) signed")
    assert "withheld: snapshot.output" in out and "withheld: snapshot.input.messages[0]" in out
    again = tmp_path / "again.json"
    assert (
        main(
            [
                "disclose",
                str(shared),
                "--record",
                str(record),
                "--path",
                "snapshot.output",
                "-o",
                str(again),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["verify", "--json", "--producer-key", str(key), str(again)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["withheld"] == ["snapshot.input.messages[0]"]
    # a tampered disclosed value fails with its code and exit 1
    tampered = json.loads(again.read_text())
    tampered["snapshot"]["output"] = "no"
    again.write_text(json.dumps(tampered))
    assert main(["verify", "--producer-key", str(key), str(again)]) == 1
    assert "DISCLOSED_VALUE_MISMATCH" in capsys.readouterr().err
    assert main(["redact", str(record), "--withhold", "snapshot.nope", "-o", str(shared)]) == 2


def test_verify_content_proves_what_a_hash_only_record_held(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cerkit.seal import certificate_hash, seal_args

    bundle = seal_args({k: v for k, v in ARGS.items() if k != "createdAt"}, created_at=T0)
    for name in ("prompt", "input", "output"):
        del bundle["snapshot"][name]
    bundle["certificateHash"] = certificate_hash(bundle)
    record = tmp_path / "hash-only.json"
    record.write_text(json.dumps(bundle))
    given_input, given_output, wrong = (
        tmp_path / "in.json",
        tmp_path / "out.txt",
        tmp_path / "w.json",
    )
    given_input.write_text(json.dumps(ARGS["input"]))
    given_output.write_text("yes")
    wrong.write_text(json.dumps({"messages": []}))
    assert (
        main(["verify", "--content", str(given_input), "--content", str(given_output), str(record)])
        == 0
    )
    capsys.readouterr()
    assert main(["verify", "--json", "--content", str(wrong), str(record)]) == 1
    assert "CONTENT_MISMATCH" in capsys.readouterr().out
