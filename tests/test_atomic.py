"""One atomic writer: the target holds the old bytes or the new ones, never a part, and a
failed write leaves nothing behind."""

from __future__ import annotations

import doctest
import os
import stat
from pathlib import Path

import pytest

import cerkit.atomic
import cerkit.attestation
from cerkit.atomic import write_atomic
from cerkit.attestation import attach_attestation
from cerkit.errors import OperationalError, SchemaError


def test_a_replaced_file_holds_the_new_bytes_and_no_temporary_file_is_left(
    tmp_path: Path,
) -> None:
    target = tmp_path / "record.json"
    target.write_text("old", encoding="utf-8")
    write_atomic(target, "new ✓")
    write_atomic(tmp_path / "raw.bin", b"\x00\x01", sync=False)  # the caller syncs later
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert (tmp_path / "raw.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw.bin", "record.json"]


def test_a_new_file_gets_the_mode_asked_for(tmp_path: Path) -> None:
    write_atomic(tmp_path / "secret", "s", mode=0o600)
    assert stat.S_IMODE(os.stat(tmp_path / "secret").st_mode) == 0o600


def test_a_write_into_a_missing_folder_is_an_operational_error_and_writes_nothing(
    tmp_path: Path,
) -> None:
    with pytest.raises(OperationalError, match=r"cannot write .*missing/record\.json"):
        write_atomic(tmp_path / "missing" / "record.json", "x")
    assert list(tmp_path.iterdir()) == []


def test_a_write_over_a_folder_fails_and_removes_its_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    with pytest.raises(OperationalError):
        write_atomic(tmp_path / "taken", "x")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_attaching_an_attestation_keeps_other_meta_and_leaves_the_original_alone() -> None:
    original = {"certificateHash": "sha256:ab", "meta": {"producer": {"kid": "k"}}}
    attested = attach_attestation(original, {"logIndex": 3})
    assert attested["meta"] == {"producer": {"kid": "k"}, "attestation": {"logIndex": 3}}
    assert original["meta"] == {"producer": {"kid": "k"}}
    assert attach_attestation({"meta": None}, {"logIndex": 0})["meta"] == {
        "attestation": {"logIndex": 0}
    }
    with pytest.raises(SchemaError):
        attach_attestation({"meta": [1]}, {"logIndex": 0})


@pytest.mark.parametrize("module", [cerkit.atomic, cerkit.attestation])
def test_docstring_examples_run(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.failed == 0 and result.attempted > 0
