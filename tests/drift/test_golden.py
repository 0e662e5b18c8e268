"""Golden comparison, the pure half: pairing a run's records with golden records, and the
collection of every sealed record that the pytest plugin rests on."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from cerkit.capture.collect import collecting
from cerkit.capture.recorder import record, recording
from cerkit.drift.golden import compare_golden
from cerkit.drift.sources import golden_records, write_golden
from cerkit.errors import UsageError


def _scale(x: int, factor: int = 2) -> int:
    return x * factor


def _calls(factor: int, *inputs: int) -> list[dict[str, Any]]:
    def scale(x: int, factor: int = factor) -> int:
        return x * factor

    recorded = record(scale, name="golden:scale", store=False)
    with collecting() as records:
        for x in inputs:
            recorded(x)
    return records


def test_every_sealed_record_reaches_every_open_collection_whatever_thread_sealed_it() -> None:
    recorded = record(_scale, store=False)
    with collecting() as outer:
        with collecting() as inner:
            recorded(1)
            worker = threading.Thread(target=recorded, args=(2,))
            worker.start()
            worker.join()
        with recording("golden:block", inputs={"x": 3}, store=False) as block:
            block.output = 6
    recorded(4)  # after the block: collected by nobody
    assert [r["snapshot"]["output"] for r in inner] == [2, 4]
    assert [r["snapshot"]["output"] for r in outer] == [2, 4, 6]


def test_calls_pair_by_execution_key_whatever_their_order() -> None:
    golden = _calls(2, 1, 2)
    comparison = compare_golden(golden, _calls(2, 2, 1))
    assert comparison.passed
    assert [p.verdict for p in comparison.pairs] == ["IDENTICAL", "IDENTICAL"]
    assert [p.golden for p in comparison.pairs] == [golden[1], golden[0]]


def test_a_changed_default_is_drift_with_the_default_ranked_first() -> None:
    comparison = compare_golden(_calls(2, 1), _calls(3, 1))
    assert not comparison.passed
    (pair,) = comparison.failures
    assert pair.verdict == "DRIFT_EXPLAINED"
    assert pair.explanation is not None
    assert pair.explanation.causes[0].category == "parameter-default"
    assert "call 1 golden:scale: DRIFT_EXPLAINED" in comparison.text()
    assert comparison.text().startswith("1 of 1 recorded call differs from the golden records")


def test_a_call_with_other_inputs_pairs_with_the_spare_golden_record_and_says_what_differs() -> (
    None
):
    comparison = compare_golden(_calls(2, 1, 2), _calls(2, 1, 5, 7))
    assert [p.verdict for p in comparison.pairs] == ["IDENTICAL", "EXPECTED_CHANGE", "EXTRA_CALL"]
    assert "inputs or passed parameters differ: input" in comparison.text()
    assert comparison.to_json()["passed"] is False


def test_a_golden_call_the_run_did_not_make_is_missing() -> None:
    comparison = compare_golden(_calls(2, 1, 2), _calls(2, 1))
    assert [p.verdict for p in comparison.pairs] == ["IDENTICAL", "MISSING_CALL"]
    assert "MISSING_CALL: the golden record has a call this run did not make" in comparison.text()


def test_golden_folders_are_written_in_call_order_and_read_back_as_they_were(
    tmp_path: Path,
) -> None:
    records = _calls(2, *range(1, 12))
    folder = tmp_path / "golden" / "t"
    (folder / "notes.txt").parent.mkdir(parents=True)
    (folder / "notes.txt").write_text("kept")
    write_golden(folder, records)
    write_golden(folder, records[:10])  # a refresh with fewer calls drops the eleventh
    assert sorted(p.name for p in folder.iterdir())[-2:] == ["010-golden_scale.json", "notes.txt"]
    read = golden_records([tmp_path / "golden"])
    assert [bundle for _, bundle in read] == records[:10]
    assert read[0][0].endswith("001-golden_scale.json")


def test_a_golden_path_that_does_not_exist_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or folder"):
        golden_records([tmp_path / "absent"])
