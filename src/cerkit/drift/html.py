"""The offline drift report: one self-contained HTML page, plots drawn as inline SVG.

Nothing is fetched: styles, the SVG plots and a small script are inline, so the page opens
from a file with no network (and passes a strict ``default-src 'none'`` policy, which it
declares). Each execution-key group gets a step plot of its output over time (one row per
distinct output) with its change points marked and coloured by verdict, then a table of
the change points with their likeliest causes.

The same pieces render in a notebook: :func:`timeline_html` and :func:`explanation_html` are
what ``Timeline._repr_html_`` and ``Explanation._repr_html_`` show (a fragment with scoped
styles and no script); the shared style sheet, colours and badges are :mod:`cerkit._html`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from cerkit._html import COLOURS, STYLE, badge, escape, fragment, table
from cerkit._text import counted

if TYPE_CHECKING:  # only types: the timeline and attribution show themselves through here
    from cerkit.drift.attribution import Explanation
    from cerkit.drift.diff import Change
    from cerkit.drift.timeline import ChangePoint, Group, Timeline

#: Runs drawn per plot; a group flapping more than this is drawn up to here (and says so).
MAX_DRAWN_RUNS: Final[int] = 2000
#: Distinct outputs given their own row; the rest share the last row.
MAX_ROWS: Final[int] = 12
_W, _LEFT, _RIGHT, _ROW, _TOP = 760, 70, 20, 22, 16
# Clicking a change point highlights its table row; the summary line proves the script ran.
_SCRIPT: Final[str] = """
document.querySelectorAll('circle.change').forEach(function(c){
  c.addEventListener('click',function(){
    document.querySelectorAll('tr.hl').forEach(function(r){r.classList.remove('hl')});
    var row=document.getElementById(c.dataset.row); if(row){row.classList.add('hl');
    row.scrollIntoView({block:'center'});}});});
var s=document.createElement('p'); s.id='plots-ready'; s.className='meta';
function counted(n,noun){return n+' '+noun+(n===1?'':'s');}
s.textContent=counted(document.querySelectorAll('svg.timeline').length,'plot')+', '+
  counted(document.querySelectorAll('circle.change').length,'change point');
document.getElementById('summary').appendChild(s);
"""


def render(
    timeline: Timeline, *, title: str = "cerkit drift report", sections: Sequence[str] = ()
) -> str:
    """The whole page for ``timeline``.

    Args:
        timeline: the analysis from :func:`cerkit.drift.timeline.analyze`.
        title: the page title.
        sections: more HTML sections (already escaped), after the groups, e.g.
            :func:`cerkit.drift.served.served_html`.

    Returns:
        HTML text (UTF-8), self-contained.
    """
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        _body(timeline, title, sections),
        f"<script>{_SCRIPT}</script></body></html>",
    ]
    return "".join(parts)


def timeline_html(timeline: Timeline, *, title: str = "cerkit drift report") -> str:
    """The report of ``timeline`` as a notebook shows it: the page's body, no script."""
    return fragment(_body(timeline, title, ()))


def _body(timeline: Timeline, title: str, sections: Sequence[str]) -> str:
    verdicts = ", ".join(f"{n} {escape(v)}" for v, n in sorted(timeline.verdicts().items()))
    parts = [
        f"<h1>{escape(title)}</h1><div id='summary'><p>{counted(timeline.records, 'record')}, ",
        f"{counted(len(timeline.groups), 'execution key')}, ",
        f"{counted(len(timeline.change_points()), 'change point')}",
        f"{': ' + verdicts if verdicts else ''}.</p></div>",
    ]
    hidden = 0
    for number, group in enumerate(timeline.groups):
        if group.label:
            parts.append(_section(number, group))
        else:
            hidden += 1
    if hidden:
        parts.append(f"<p>… and {hidden} more execution keys with a stable output.</p>")
    parts.extend(sections)
    if timeline.baseline:
        parts.append("<h2>Against the baseline</h2><table><tr><th>verdict</th><th>why</th></tr>")
        for explanation in timeline.baseline:
            verdict = str(explanation.verdict)
            parts.append(f"<tr><td class='v'>{badge(verdict)}</td>")
            parts.append(f"<td>{escape(explanation.summary)}</td></tr>")
        parts.append("</table>")
    return "".join(parts)


def _value(value: object) -> str:
    text = repr(value)
    return escape(text if len(text) <= 120 else text[:119] + "…")


def _change(change: Change) -> tuple[str, ...]:
    path = f"<code>{escape(change.path)}</code>"
    if change.status == "unknown":
        return (path, f"<i>unknown</i> ({escape(str(change.reason))})", "")
    return (path, _value(change.before), _value(change.after))


def explanation_html(explanation: Explanation) -> str:
    """One comparison as a notebook shows it: the verdict and summary, the ranked causes
    with their evidence, the notes, then every change by facet (before and after exact)."""
    diff = explanation.diff
    parts = [
        f"<h2><span class='v'>{badge(str(explanation.verdict))}</span> "
        f"{escape(explanation.summary)}</h2>",
        f"<p class='meta'>a <code>{escape(str(diff.a.get('certificateHash', '?')))}</code> · "
        f"b <code>{escape(str(diff.b.get('certificateHash', '?')))}</code></p>",
    ]
    if explanation.causes:
        rows = (
            (str(rank), f"<b>{escape(c.category)}</b>", escape(c.subject), str(c.score),
             "<br>".join(escape(e) for e in c.evidence))
            for rank, c in enumerate(explanation.causes, start=1)
        )  # fmt: skip
        parts.append(table(("#", "category", "subject", "score", "evidence"), rows))
    parts += [f"<p class='meta'>{escape(note)}</p>" for note in explanation.notes]
    for facet in diff.facets():
        parts.append(f"<h2>{escape(facet)}</h2>")
        parts.append(table(("path", "before", "after"), map(_change, diff.in_facet(facet))))
    return fragment("".join(parts))


def _section(number: int, group: Group) -> str:
    head = (
        f"<section class='group' id='g{number}'><h2>{escape(group.label)}</h2>"
        f"<p class='meta'>key <code>{escape(group.key)}</code> · "
        f"{counted(group.count, 'record')} · {counted(group.distinct_outputs, 'distinct output')}"
        f" · {counted(len(group.change_points), 'change point')}"
        f" · {escape(group.runs[0].start)} → {escape(group.runs[-1].end)}</p>"
    )
    rows = [
        "<table><tr><th>time</th><th>verdict</th><th>likeliest causes</th></tr>",
        *(_row(number, i, c) for i, c in enumerate(group.change_points)),
        "</table>",
    ]
    table = "".join(rows) if group.change_points else "<p>Output stable over the period.</p>"
    return head + _plot(number, group) + table + "</section>"


def _row(group: int, index: int, point: ChangePoint) -> str:
    causes = point.explanation.causes[:3] if point.explanation else ()
    why = "<br>".join(f"<b>{escape(c.category)}</b>: {escape(c.evidence[0])}" for c in causes)
    if point.explanation and not causes:
        why = escape(point.explanation.summary)
    if point.explanation and point.explanation.notes:
        notes = "<br>".join(escape(note) for note in point.explanation.notes)
        why += f"<br><span class='meta'>{notes}</span>"
    return (
        f"<tr id='g{group}c{index}'><td>{escape(point.time)}</td>"
        f"<td class='v'>{badge(point.verdict)}</td><td>{why}</td></tr>"
    )


def _seconds(text: str) -> float | None:
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _plot(number: int, group: Group) -> str:
    runs = group.runs[:MAX_DRAWN_RUNS]
    rows = min(group.distinct_outputs, MAX_ROWS)
    height = _TOP * 2 + _ROW * rows + 14
    times = [_seconds(r.start) for r in runs] + [_seconds(r.end) for r in runs]
    if any(t is None for t in times):
        # Unparseable times: place runs by their order instead of their time.
        stamps = [float(i) for i in range(len(runs))] + [i + 0.9 for i in range(len(runs))]
    else:
        stamps = [t for t in times if t is not None]
    lo, hi = min(stamps), max(stamps)
    span = (hi - lo) or 1.0

    def x(value: float) -> float:
        return round(_LEFT + (value - lo) / span * (_W - _LEFT - _RIGHT), 1)

    def y(variant: int) -> float:
        return _TOP + _ROW * min(variant, rows - 1) + _ROW / 2

    n = len(runs)
    out = [
        f"<svg class='timeline' data-group='{number}' width='{_W}' height='{height}' "
        f"viewBox='0 0 {_W} {height}' xmlns='http://www.w3.org/2000/svg' role='img' "
        f"aria-label='output of {escape(group.label or group.key)} over time'>",
        f"<line class='axis' x1='{_LEFT}' y1='{height - 18}' x2='{_W - _RIGHT}' "
        f"y2='{height - 18}'/>",
        f"<text x='{_LEFT}' y='{height - 4}'>{escape(runs[0].start)}</text>",
        f"<text x='{_W - _RIGHT}' y='{height - 4}' text-anchor='end'>{escape(runs[-1].end)}</text>",
    ]
    out += [f"<text x='4' y='{y(v) + 4}'>output {v + 1}</text>" for v in range(rows)]
    for i, run in enumerate(runs):
        # A step plot: a run lasts until the next one starts.
        x1, x2 = x(stamps[i]), x(stamps[i + 1] if i + 1 < n else stamps[n + i])
        out.append(
            f"<line class='run' x1='{x1}' y1='{y(run.variant)}' x2='{max(x2, x1 + 2)}' "
            f"y2='{y(run.variant)}'><title>{run.count} records</title></line>"
        )
        if i:
            jump = (y(runs[i - 1].variant), y(run.variant))
            out.append(_marker(number, i - 1, group.change_points[i - 1], x1, *jump))
    if len(group.runs) > n:
        out.append(f"<text x='{_W - _RIGHT}' y='12' text-anchor='end'>first {n} runs</text>")
    out.append("</svg>")
    return "".join(out)


def group_plot(number: int, group: Group) -> str:
    """The inline SVG step plot of one group, as the report draws it, for pages that embed
    it (the portal's drift page). Its markers carry ``data-row='g{number}c{index}'``, the id
    of the change point's table row; it has no script and no style attribute."""
    return _plot(number, group)


def _marker(group: int, index: int, point: ChangePoint, at: float, y1: float, y2: float) -> str:
    colour = COLOURS.get(point.verdict, "#000")
    tip = escape(point.verdict + (": " + point.explanation.summary if point.explanation else ""))
    return (
        f"<line class='jump' x1='{at}' y1='{y1}' x2='{at}' y2='{y2}'/>"
        f"<circle class='change' data-row='g{group}c{index}' cx='{at}' cy='{y2}' r='5' "
        f"fill='{colour}'><title>{tip}</title></circle>"
    )
