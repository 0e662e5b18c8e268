"""The demo is a list of parts: a part added before the attestation part has its records
signed, attested and logged with the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cerkit.capture.recorder import record
from cerkit.demo import PARTS, attested, run_demo
from cerkit.demo.base import Demo


def _json_part(demo: Demo) -> bool:
    recorded = record(json.dumps, store=False)
    recorded({"part": "extra"})
    demo.records.append(recorded.last_record)
    demo.report("extra part: 1 record")
    return True


def test_an_added_part_is_attested_and_logged_by_the_attestation_part(tmp_path: Path) -> None:
    lines: list[str] = []
    store = str(tmp_path / "ledger.db")
    ok = run_demo(store, report=lines.append, parts=(_json_part, attested.run))
    assert ok
    assert lines[0] == "extra part: 1 record"
    assert lines[2].endswith("log index 0    VERIFIED logged")
    assert lines[3].startswith("  transparency log: 1 entry,")
    assert lines[-2].startswith(f"records: {store} (1 stored)")
    assert (tmp_path / "producer.key").exists() and (tmp_path / "node.key").exists()


def test_a_part_that_fails_fails_the_demo_and_the_later_parts_still_run(tmp_path: Path) -> None:
    seen: list[str] = []

    def failing(demo: Demo) -> bool:
        seen.append("failing")
        return False

    def later(demo: Demo) -> bool:
        seen.append("later")
        return True

    assert not run_demo(str(tmp_path / "s.db"), report=lambda _: None, parts=(failing, later))
    assert seen == ["failing", "later"]


def test_the_attestation_part_comes_last() -> None:
    parts: tuple[Any, ...] = PARTS
    assert parts[-1] is attested.run and len(parts) >= 2
