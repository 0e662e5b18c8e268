"""bench/portal.py runs end to end on a small store (its numbers are not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "bench" / "portal.py"


def test_the_portal_bench_builds_its_store_and_times_every_page(tmp_path: Path) -> None:
    args = [sys.executable, str(BENCH), "--records", "300", "--requests", "3", "--depth", "2"]
    run = subprocess.run(
        [*args, "--cache", str(tmp_path), "--json"], capture_output=True, text=True, timeout=600
    )
    assert run.returncode in (0, 1), run.stderr  # 1: a target missed on a busy machine
    result = json.loads(run.stdout)
    assert result["records"] == 300 and result["store_build_s"] is not None
    for page in ("record_page", "ledger_first", "ledger_deep", "ledger_verdict"):
        assert result[f"{page}_ms"] > 0 and result[f"{page}_baseline_http_ms"] > 0
        assert result[f"{page}_ratio"] > 0
    again = subprocess.run(
        [*args, "--cache", str(tmp_path), "--json"], capture_output=True, text=True, timeout=600
    )
    assert json.loads(again.stdout)["store_build_s"] is None  # cached
