"""Notebook display: verification reports, drift explanations and timelines render as HTML
(``_repr_html_``) with the drift report's renderer, every value escaped."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from drift_records import make

from cerkit._html import COLOURS, style
from cerkit.drift.attribution import explain
from cerkit.drift.html import render
from cerkit.drift.timeline import analyze, row_of
from cerkit.verify import verify_bundle

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def _tags(html: str) -> set[str]:
    parser = _Tags()
    parser.feed(html)
    return set(parser.tags)


def _pair() -> tuple[dict[str, Any], dict[str, Any]]:
    a = make({"effectiveParameters.threshold": HOSTILE})
    b = make(
        {"effectiveParameters.threshold": 0.9, "output": HOSTILE},
        at="2026-01-02T00:00:00.000Z",
    )
    return a, b


def test_an_explanation_shows_its_verdict_causes_and_exact_changes_escaped() -> None:
    explanation = explain(*_pair())
    html = explanation._repr_html_()
    assert html.startswith("<div class='cerkit'><style>")
    assert style(".cerkit") in html  # the report's style sheet, scoped to the cell
    assert f"color:{COLOURS['DRIFT_EXPLAINED']}" in html and "DRIFT_EXPLAINED" in html
    assert "parameter-default" in html and "snapshot.effectiveParameters.threshold" in html
    assert "&lt;script&gt;" in html
    assert _tags(html) <= {"div", "style", "h2", "span", "p", "code", "table", "tr", "th",
                           "td", "b", "br", "i"}  # fmt: skip


def test_a_timeline_shows_the_report_body_with_its_plots_and_no_script() -> None:
    records = [make({"output": n % 2}, at=f"2026-01-0{n + 1}T00:00:00.000Z") for n in range(3)]
    by_hash = {r["certificateHash"]: r for r in records}
    timeline = analyze([row_of(r) for r in records], by_hash.__getitem__)
    html = timeline._repr_html_()
    assert "<svg class='timeline'" in html and html.count("class='change'") == 2
    assert "script" not in _tags(html) and "body{" not in html
    body = html.split("</style>", 1)[1].removesuffix("</div>")
    assert body in render(timeline)  # the same renderer as the HTML report


def test_a_verification_report_shows_each_check_escaped() -> None:
    record = make({"output": HOSTILE})
    report = verify_bundle(record, source=HOSTILE)
    html = report._repr_html_()
    assert "VERIFIED" in html and f"color:{COLOURS['PASS']}" in html
    assert "&lt;img src=x" in html and "<img" not in html
    record["snapshot"]["output"] = "tampered"
    failed = verify_bundle(record)._repr_html_()
    assert "FAILED" in failed and "OUTPUT_HASH_MISMATCH" in failed
