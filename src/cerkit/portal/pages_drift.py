"""The drift pages: execution keys of the store, and each key's timeline with its plot.

``GET /drift`` lists the execution keys (records with the same inputs), the keys whose
output changed first. ``GET /drift/{key}`` runs :func:`cerkit.drift.timeline.analyze` over
that key's records: the step plot of the HTML report (:func:`cerkit.drift.html.group_plot`,
inline SVG: no script, no style attribute, so the portal's CSP needs no ``data:`` or
``unsafe-inline``), then each change point with its verdict, likeliest causes and a link to
the diff page of the two records either side of it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from cerkit.drift.html import group_plot
from cerkit.drift.timeline import ChangePoint, Group, analyze, group_label, scan
from cerkit.errors import OperationalError, Reason
from cerkit.ledger.base import RecordStore
from cerkit.portal.pages_diff import diff_href
from cerkit.portal.templating import page

#: Records read per drift page: the pass is O(n) on compact rows, and a page should answer
#: in about a second on a laptop; past it the page says it read only the oldest rows.
MAX_DRIFT_ROWS: Final[int] = 200_000
#: Execution keys listed on ``/drift`` (each costs one record read for its label).
MAX_LISTED_KEYS: Final[int] = 200
#: Causes shown per change point (the diff page has them all).
CAUSES_SHOWN: Final[int] = 3
_KEY: Final[re.Pattern[str]] = re.compile(r"(?:sha256:)?([0-9a-f]{6,64})")


def _point_view(number: int, index: int, point: ChangePoint) -> dict[str, Any]:
    explanation = point.explanation
    causes = explanation.causes[:CAUSES_SHOWN] if explanation else ()
    return {
        "id": f"g{number}c{index}",  # the plot marker's data-row
        "time": point.time,
        "verdict": point.verdict,
        "summary": explanation.summary if explanation else "not explained (too many changes)",
        "causes": [{"category": c.category, "evidence": c.evidence[0]} for c in causes],
        "notes": list(explanation.notes) if explanation else [],
        "diff": diff_href(point.before, point.after),
    }


def group_view(number: int, group: Group) -> dict[str, Any]:
    """One execution key as the page shows it: counts, the plot and the change points."""
    return {
        "key": group.key,
        "label": group.label or group.key,
        "count": group.count,
        "distinct": group.distinct_outputs,
        "first": group.runs[0].start,
        "last": group.runs[-1].end,
        "plot": group_plot(number, group),
        "points": [_point_view(number, i, p) for i, p in enumerate(group.change_points)],
    }


#: What the drift pages say on a portal without a record store.
NO_STORE: Final[str] = (
    f"{Reason.NOT_PRESENT}: this portal has no record store; drift over a ledger is read by"
    " cerkit ui --store PATH|URL (or cerkit drift)"
)


def _rows(store: RecordStore, key: str | None) -> tuple[list[tuple[str, str, str, str]], bool]:
    """The compact rows of ``key``'s records (every key's when None), at most MAX_DRIFT_ROWS."""
    rows = list(itertools.islice(store.index_rows(key=key), MAX_DRIFT_ROWS + 1))
    return rows[:MAX_DRIFT_ROWS], len(rows) > MAX_DRIFT_ROWS


class DriftPages:
    """``/drift`` and ``/drift/{key}`` over one record store (read-only); without one (a
    node's portal: its log keeps no execution keys) the pages say where drift is read."""

    def __init__(self, store: RecordStore | None) -> None:
        self.store = store

    def keys(self, request: Request) -> Response:
        """``GET /drift``: every execution key, those whose output changed first."""
        store = self.store
        if store is None:
            return page("drift_keys.html", 404, keys=[], error=NO_STORE)
        rows, cut = _rows(store, None)
        groups = sorted(scan(rows), key=lambda g: (-len(g.runs), g.runs[0][0], g.key))
        listed = [
            {
                "key": g.key,
                "label": group_label(store.get(g.runs[0][4]) or {}),
                "count": sum(run[3] for run in g.runs),
                "changes": len(g.runs) - 1,
                "last": g.runs[-1][1],
            }
            for g in groups[:MAX_LISTED_KEYS]
        ]
        return page(
            "drift_keys.html",
            keys=listed,
            total=len(groups),
            records=len(rows),
            cut=cut,
            limit=MAX_DRIFT_ROWS,
        )

    def timeline(self, request: Request) -> Response:
        """``GET /drift/{key}``: the timeline of one execution key (a unique prefix works)."""
        store = self.store
        if store is None:
            return page("drift.html", 404, groups=[], error=NO_STORE, key="")
        match = _KEY.fullmatch(request.path_params["key"])
        if match is None:
            why = f"{Reason.BAD_REQUEST}: an execution key is sha256: and hex digits"
            return page("drift.html", 400, groups=[], error=why, key="")
        prefix = "sha256:" + match.group(1)
        rows, cut = _rows(store, prefix)
        if not rows:
            why = f"{Reason.NOT_FOUND}: no record has an execution key starting {prefix}"
            return page("drift.html", 404, groups=[], error=why, key=prefix)

        def load(certificate_hash: str) -> Mapping[str, Any]:
            bundle = store.get(certificate_hash)
            if bundle is None:
                raise OperationalError(f"record {certificate_hash} disappeared", Reason.NOT_FOUND)
            return bundle

        timeline = analyze(rows, load)
        groups = [group_view(n, g) for n, g in enumerate(timeline.groups)]
        return page(
            "drift.html",
            groups=groups,
            error=None,
            key=prefix,
            cut=cut,
            limit=MAX_DRIFT_ROWS,
            records=timeline.records,
        )
