"""The timeline pass, the drift verb and its offline HTML page (checked in real Chromium)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from drift_records import make
from png_pixels import count_colour

from cerkit.drift.gate import failing
from cerkit.drift.timeline import analyze, row_of

ENV = "environment"
BUMP = {
    f"{ENV}.packages.installed.tinypkg": "2.0",
    f"{ENV}.imported.packages.tinypkg": "2.0",
}
CHROMIUM = "/usr/bin/chromium"


def _at(day: int, hour: int) -> str:
    return f"2026-01-{day:02d}T{hour:02d}:00:00.000Z"


def ledger() -> list[dict[str, Any]]:
    """Three keys: one drifts on a package bump, one flips randomly, one stays put."""
    records = []
    for hour in range(6):
        after = hour >= 3
        records.append(
            make({"output": 0.8 if after else 0.75, **(BUMP if after else {})}, at=_at(1, hour))
        )
        noisy = {"input": {"args": [[5.0]], "kwargs": {}}, "output": [1, 2, 1, 1, 3, 3][hour]}
        records.append(make(noisy, at=_at(2, hour)))
        records.append(
            make({"input": {"args": [[9.0]], "kwargs": {}}, "output": 7}, at=_at(3, hour))
        )
    return records


def _timeline(records: list[dict[str, Any]]) -> Any:
    by_hash = {r["certificateHash"]: r for r in records}
    rows = sorted((row_of(r) for r in records), key=lambda r: r.time)
    return analyze(rows, by_hash.__getitem__)


def test_groups_change_points_and_their_verdicts() -> None:
    timeline = _timeline(ledger())
    assert timeline.records == 18
    assert [len(g.change_points) for g in timeline.groups] == [1, 3, 0]
    bump = timeline.groups[0].change_points[0]
    assert bump.verdict == "DRIFT_EXPLAINED"
    assert bump.explanation is not None
    assert bump.explanation.causes[0].subject == "tinypkg"
    assert {c.verdict for c in timeline.groups[1].change_points} == {"DRIFT_UNEXPLAINED"}
    assert timeline.groups[1].distinct_outputs == 3
    assert failing(timeline, "unexplained") == ["DRIFT_UNEXPLAINED"]
    assert sorted(failing(timeline, "any")) == ["DRIFT_EXPLAINED", "DRIFT_UNEXPLAINED"]


def test_rows_out_of_order_are_sorted_by_time() -> None:
    records = ledger()
    by_hash = {r["certificateHash"]: r for r in records}
    shuffled = [row_of(r) for r in reversed(records)]
    timeline = analyze(shuffled, by_hash.__getitem__)
    assert [len(g.change_points) for g in timeline.groups] == [1, 3, 0]


def test_baseline_mismatch_is_explained_against_the_golden_record() -> None:
    golden = make(at=_at(1, 0))
    drifted = make({"effectiveParameters.threshold": 0.9, "output": 0.1}, at=_at(4, 0))
    timeline = analyze(
        [row_of(drifted)], {drifted["certificateHash"]: drifted}.__getitem__, baseline=[golden]
    )
    assert [str(e.verdict) for e in timeline.baseline] == ["DRIFT_EXPLAINED"]
    assert timeline.baseline[0].causes[0].category == "parameter-default"


def _write(tmp_path: Path, records: list[dict[str, Any]]) -> Path:
    path = tmp_path / "ledger.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _cerkit(*args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).parent / "cerkit"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_drift_verb_fail_on_sets_the_exit_code(tmp_path: Path) -> None:
    path = _write(tmp_path, ledger())
    plain = _cerkit("drift", str(path), "--json")
    assert plain.returncode == 0, plain.stderr
    assert json.loads(plain.stdout)["changePoints"] == 4
    gated = _cerkit("drift", str(path), "--fail-on", "unexplained")
    assert gated.returncode == 1
    assert "DRIFT_UNEXPLAINED" in gated.stderr
    stable_only = _write(tmp_path, [r for r in ledger() if r["snapshot"]["output"] == 7])
    assert _cerkit("drift", str(stable_only), "--fail-on", "any").returncode == 0


def test_drift_verb_key_filter_keeps_one_group(tmp_path: Path) -> None:
    records = ledger()
    key = row_of(records[0]).key
    result = _cerkit("drift", str(_write(tmp_path, records)), "--key", key[7:19], "--json")
    assert json.loads(result.stdout)["groups"] == 1


@pytest.mark.browser
@pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="needs Chromium: scripts/ensure-chromium.sh"
)
def test_html_report_opens_offline_in_chromium_with_one_plot_per_group(tmp_path: Path) -> None:
    page = tmp_path / "drift.html"
    result = _cerkit("drift", str(_write(tmp_path, ledger())), "--html", str(page))
    assert result.returncode == 0, result.stderr
    assert "http://" not in page.read_text().replace("http://www.w3.org/2000/svg", "")
    profile = tmp_path / "profile"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--dump-dom",
        page.as_uri(),
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env).stdout
    shot = tmp_path / "drift.png"
    command[-2:] = [f"--screenshot={shot}", "--window-size=1000,1200", page.as_uri()]
    subprocess.run(command, capture_output=True, timeout=120, env=env, check=False)
    shutil.rmtree(profile, ignore_errors=True)
    # the plots were painted: the run lines' blue and the unexplained change points' red
    assert count_colour(shot, (0x15, 0x65, 0xC0)) > 2000
    assert count_colour(shot, (0xC6, 0x28, 0x28)) > 30
    assert dom.count('class="timeline"') == 3
    assert dom.count('class="change"') == 4
    assert dom.count('class="run"') == 2 + 4 + 1
    # the inline script ran: it counted the plots the browser parsed
    assert "3 plots, 4 change points" in dom


def test_drift_verb_baseline_gate_fails_on_a_shifted_default(tmp_path: Path) -> None:
    golden = tmp_path / "golden"
    golden.mkdir()
    (golden / "score.json").write_text(json.dumps(make(at=_at(1, 0))))
    drifted = make({"effectiveParameters.threshold": 0.9, "output": 0.1}, at=_at(5, 0))
    ledger = _write(tmp_path, [drifted])
    result = _cerkit("drift", str(ledger), "--baseline", str(golden), "--fail-on", "any")
    assert result.returncode == 1
    assert "baseline: DRIFT_EXPLAINED" in result.stdout
    lenient = _cerkit("drift", str(ledger), "--baseline", str(golden), "--fail-on", "unexplained")
    assert lenient.returncode == 0


def test_diff_verb_human_output_leads_with_the_verdict(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(make()))
    b.write_text(json.dumps(make({"execution.codeDigest": "sha256:" + "d" * 64, "output": 1})))
    result = _cerkit("diff", str(a), str(b))
    assert result.returncode == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    assert first.startswith("DRIFT_EXPLAINED: output changed; likeliest cause (code)")
    assert "Changes by facet:" in rest


def test_diff_verb_rejects_what_is_neither_file_nor_hash(tmp_path: Path) -> None:
    result = _cerkit("diff", "no-such-file", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.startswith("cerkit: USAGE_ERROR")
    not_a_record = tmp_path / "x.json"
    not_a_record.write_text("[1, 2]")
    bad = _cerkit("diff", str(not_a_record), str(not_a_record))
    assert bad.returncode == 1
    assert "SCHEMA_ERROR" in bad.stderr


def test_a_group_flapping_past_the_limit_is_counted_not_explained_again() -> None:
    from cerkit.drift.timeline import MAX_EXPLAINED_PER_GROUP

    records = [make({"output": i % 2}, at=f"2026-02-01T00:00:{i:02d}.000Z") for i in range(60)]
    timeline = _timeline(records)
    points = timeline.groups[0].change_points
    assert len(points) == 59
    assert sum(p.explanation is not None for p in points) == MAX_EXPLAINED_PER_GROUP
    assert timeline.verdicts() == {"DRIFT_UNEXPLAINED": 50, "NOT_EXPLAINED": 9}
    assert failing(timeline, "unexplained") == ["DRIFT_UNEXPLAINED"]


def test_html_escapes_what_records_say() -> None:
    from cerkit.drift.html import render

    hostile = "<script>alert(1)</script>"
    tz = "environment.envVars.values.TZ"
    records = [
        make({"execution.entryPoint": hostile, "output": 1}, at=_at(1, 0)),
        make({"execution.entryPoint": hostile, "output": 2, tz: hostile}, at=_at(1, 1)),
    ]
    page = render(_timeline(records))
    assert hostile not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_rows_read_from_a_sqlite_store_match_the_records(tmp_path: Path) -> None:
    from cerkit.drift.sources import rows_from_store
    from cerkit.ledger import open_record_store

    records = ledger()
    store = open_record_store(str(tmp_path / "ledger.db"))
    for bundle in records:
        store.put(bundle)
    store.close()
    read = rows_from_store(str(tmp_path / "ledger.db"), since=_at(2, 0))
    try:
        expected = sorted(row_of(r) for r in records if r["createdAt"] >= _at(2, 0))
        assert sorted(read.rows) == expected
        timeline = analyze(read.rows, read.load)
    finally:
        read.close()
    assert [len(g.change_points) for g in timeline.groups] == [3, 0]


def test_many_stable_keys_are_summarized_not_each_loaded(tmp_path: Path) -> None:
    from cerkit.drift.render import timeline_text
    from cerkit.drift.timeline import MAX_SHOWN_STABLE

    records = [
        make({"input": {"args": [[float(i)]], "kwargs": {}}}, at=f"2026-03-01T00:{i // 60:02d}:"
             f"{i % 60:02d}.000Z")
        for i in range(MAX_SHOWN_STABLE + 10)
    ]  # fmt: skip
    by_hash = {r["certificateHash"]: r for r in records}
    loads: list[str] = []

    def load(cert: str) -> dict[str, Any]:
        loads.append(cert)
        return by_hash[cert]

    timeline = analyze([row_of(r) for r in records], load)
    assert len(timeline.groups) == MAX_SHOWN_STABLE + 10
    assert len(loads) == MAX_SHOWN_STABLE
    assert timeline_text(timeline).endswith("... and 10 more execution keys with a stable output")
