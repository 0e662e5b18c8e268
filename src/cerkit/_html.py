"""The HTML pieces every cerkit renderer shares: one style sheet, the verdict and status
colours, badges, tables, and the fragment a notebook shows (``_repr_html_``).

The drift report (:mod:`cerkit.drift.html`) is a whole page with this style sheet; a notebook
cell gets a fragment, ``<div class="cerkit">`` with the same rules scoped to that class, so
the notebook's own page is not restyled. Every value passed as text is escaped here; values
passed as HTML (``cells``) must have been built from escaped text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Final

#: (selector, declarations) of the style sheet, in order.
_RULES: Final[tuple[tuple[str, str], ...]] = (
    ("body", "font:14px/1.45 system-ui,sans-serif;margin:24px;color:#212121;max-width:900px"),
    ("h1", "font-size:20px"),
    ("h2", "font-size:16px;margin:28px 0 4px"),
    ("code", "font-size:12px"),
    (".meta", "color:#616161;font-size:12px"),
    (".run", "stroke:#1565c0;stroke-width:4"),
    (".jump", "stroke:#9e9e9e;stroke-dasharray:3 3"),
    (".axis", "stroke:#bdbdbd"),
    ("svg text", "font-size:11px;fill:#616161"),
    ("table", "border-collapse:collapse;width:100%;font-size:13px"),
    ("td,th", "border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top"),
    (".v", "font-weight:600"),
    ("tr.hl", "background:#fff3e0"),
)
#: Verdicts (drift) and statuses (verification) and the colour each is shown in.
COLOURS: Final[dict[str, str]] = {
    "DRIFT_UNEXPLAINED": "#c62828",
    "INTEGRITY_FAILED": "#b71c1c",
    "DRIFT_EXPLAINED": "#ef6c00",
    "STABLE_DESPITE_CHANGES": "#757575",
    "EXPECTED_CHANGE": "#1565c0",
    "IDENTICAL": "#2e7d32",
    "NOT_EXPLAINED": "#6a1b9a",
    "NONDETERMINISTIC": "#00838f",
    "WITHIN_TOLERANCE": "#558b2f",
    "VERIFIED": "#2e7d32",
    "PASS": "#2e7d32",
    "FAILED": "#c62828",
    "FAIL": "#c62828",
    "ERROR": "#6a1b9a",
    "SKIPPED": "#757575",
}


def style(scope: str = "") -> str:
    """The style sheet; with ``scope`` (a class selector) every rule applies inside it only,
    and the page-wide ``body`` rule applies to the scope element itself."""
    if not scope:
        return "".join(f"{selector}{{{body}}}" for selector, body in _RULES)
    rules = []
    for selector, body in _RULES:
        parts = [scope if s == "body" else f"{scope} {s}" for s in selector.split(",")]
        rules.append(f"{','.join(parts)}{{{body}}}")
    return "".join(rules)


#: The page-wide style sheet (the drift report's).
STYLE: Final[str] = style()


def badge(verdict: str) -> str:
    """``verdict`` (escaped) in its colour."""
    return f"<span style='color:{COLOURS.get(verdict, '#000')}'>{escape(verdict)}</span>"


def table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A table: ``head`` is escaped text, each row's cells are HTML."""
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out += ["<tr>", *(f"<td>{cell}</td>" for cell in row), "</tr>"]
    out.append("</table>")
    return "".join(out)


def fragment(body: str) -> str:
    """``body`` (HTML) as a notebook cell shows it: scoped styles, no script."""
    return f"<div class='cerkit'><style>{style('.cerkit')}</style>{body}</div>"


__all__ = ["COLOURS", "STYLE", "badge", "escape", "fragment", "style", "table"]
