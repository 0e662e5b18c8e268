"""Renderers of a verification :class:`~cerkit.verify.report.Report`: text and JSON.

``cerkit verify`` prints :func:`report_text` (or :func:`report_json` with ``--json``) on
stdout and :func:`diagnosis` on stderr for a record that did not verify; the web pages render
the same report from :meth:`~cerkit.verify.report.Report.to_dict`.
"""

from __future__ import annotations

from cerkit.jsonio import dumps
from cerkit.verify.report import Report, Status


def report_text(report: Report) -> str:
    """One summary line, then one indented line per check that did not pass, then notes."""
    cert = report.certificate_hash or "-"
    lines = [f"{report.summary:<8} {report.assurance.label:<8} {cert}  {report.source}"]
    for check in report.checks:
        if check.status is not Status.PASS:
            where = f"{check.layer}/{check.name}"
            lines.append(f"    {check.status}: {where}: {check.reason} {check.message}".rstrip())
    lines.extend(f"    withheld: {path}" for path in report.withheld)
    lines.extend(f"    note: {note}" for note in report.notes)
    return "\n".join(lines)


def report_json(report: Report) -> str:
    """The report as one line of JSON (a JSON Lines record, no trailing newline)."""
    return dumps(report.to_dict())


def diagnosis(report: Report) -> str:
    """The one line for a record that did not verify: where, the first reason, why."""
    failures = report.failures
    if not failures:
        return f"{report.source}: {report.verdict}: integrity was not checked"
    first = failures[0]
    return f"{report.source}: {first.reason}: {first.message}"


__all__ = ["diagnosis", "report_json", "report_text"]
