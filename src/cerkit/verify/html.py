"""A verification report as HTML, for a notebook cell (``Report._repr_html_``).

Built from the pieces the drift report uses (:mod:`cerkit._html`): the verdict as a coloured
badge with the assurance level, then one table row per check (layer, check, status, reason,
message), the notes and the withheld paths. Every value is escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cerkit._html import badge, escape, fragment, table

if TYPE_CHECKING:
    from cerkit.verify.report import Report


def report_html(report: Report) -> str:
    """The HTML fragment of ``report``.

    >>> from cerkit.verify.report import Report
    >>> "FAILED" in report_html(Report(certificate_hash="sha256:<x>"))
    True
    """
    parts = [
        f"<h2>{badge(report.verdict)} · assurance {escape(report.assurance.label)}</h2>",
        f"<p class='meta'>record <code>{escape(report.certificate_hash or '?')}</code>",
        f" · {escape(report.source)}</p>" if report.source else "</p>",
    ]
    if report.summary != report.verdict:
        parts.append(f"<p>{escape(report.summary)}</p>")
    rows = (
        (
            escape(str(c.layer)),
            escape(c.name),
            f"<span class='v'>{badge(str(c.status))}</span>",
            f"<code>{escape(str(c.reason))}</code>",
            escape(c.message),
        )
        for c in report.checks
    )
    parts.append(table(("layer", "check", "status", "reason", "message"), rows))
    parts += [f"<p class='meta'>{escape(note)}</p>" for note in report.notes]
    if report.withheld:
        paths = ", ".join(f"<code>{escape(p)}</code>" for p in report.withheld)
        parts.append(f"<p>withheld: {paths}</p>")
    return fragment("".join(parts))


__all__ = ["report_html"]
