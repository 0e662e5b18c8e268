"""The diff page: two stored records compared by the drift engine, verdict and causes first.

``GET /diff?a=REF&b=REF`` (REF: a certificate hash, a unique prefix or an executionId) renders
:func:`cerkit.drift.attribution.explain` of the two records: the verdict and its summary,
the candidate causes ranked with their evidence, then every change grouped by facet with
the value in A and in B side by side. Without both parameters it is a form. Values are shown
as JSON text, cut at :data:`MAX_VALUE_CHARS`; links are built from verified certificate
hashes only, never from record content.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from cerkit.digest import is_digest
from cerkit.drift.attribution import Explanation, explain
from cerkit.drift.diff import FACETS, MISSING, Change
from cerkit.errors import CerkitError, Reason
from cerkit.jsonio import dumps
from cerkit.portal.source import Source
from cerkit.portal.templating import page

#: Characters of one value shown in a diff cell; a record may hold megabytes in one field,
#: and the page must stay readable (the full value is on the record page).
MAX_VALUE_CHARS: Final[int] = 2000
#: Longest reference accepted in the query string: a certificate hash is 71 characters.
MAX_REF_CHARS: Final[int] = 80


class DiffProblem(CerkitError):
    """A record named on the diff page cannot be compared (unknown, ambiguous)."""


def diff_href(a: str, b: str) -> str:
    """The diff page's address for two certificate hashes (checked to be digests)."""
    if not (is_digest(a) and is_digest(b)):
        raise ValueError("diff links are built from certificate hashes only")
    return "/diff?" + urlencode({"a": a, "b": b})


def show_value(value: Any) -> str:
    """A value as the page shows it: JSON text (strings as they are), cut to length."""
    if value is MISSING:
        return "absent"
    text = value if isinstance(value, str) else dumps(value)
    if len(text) > MAX_VALUE_CHARS:
        rest = len(text) - MAX_VALUE_CHARS
        return f"{text[:MAX_VALUE_CHARS]}… ({rest} more characters)"
    return text


def _change_row(change: Change) -> dict[str, str]:
    return {
        "path": change.path,
        "status": change.status,
        "before": show_value(change.before),
        "after": show_value(change.after),
        "reason": change.reason,
    }


def explanation_view(explanation: Explanation) -> dict[str, Any]:
    """What the template shows: verdict, causes, then the changes by facet, in facet order."""
    diff = explanation.diff
    order = {facet: n for n, facet in enumerate(FACETS)}
    facets = sorted({c.facet for c in diff.changes}, key=lambda f: order.get(f, len(order)))
    return {
        "verdict": str(explanation.verdict),
        "summary": explanation.summary,
        "sameKey": explanation.key_a == explanation.key_b,
        "causes": [
            {
                "category": c.category,
                "subject": c.subject,
                "score": c.score,
                "evidence": list(c.evidence),
            }
            for c in explanation.causes
        ],
        "notes": list(explanation.notes),
        "evidenceUsed": list(explanation.evidence_used),
        "facets": [(f, [_change_row(c) for c in diff.in_facet(f)]) for f in facets],
    }


def _side(bundle: Mapping[str, Any]) -> dict[str, str]:
    cert = bundle.get("certificateHash")
    created = bundle.get("createdAt")
    return {
        "hash": str(cert) if is_digest(cert) else "",
        "createdAt": created if isinstance(created, str) else "?",
    }


class DiffPage:
    """``/diff`` over the portal's :class:`~cerkit.portal.source.Source` (read-only): a
    record store for ``cerkit ui``, the node's log on a node."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def _load(self, ref: str, side: str) -> Mapping[str, Any]:
        if len(ref) > MAX_REF_CHARS:
            raise DiffProblem(f"{side}: not a certificate hash", Reason.BAD_REQUEST)
        cert = self.source.resolve(ref)  # UsageError when ambiguous
        bundle = self.source.get(cert) if cert else None
        if bundle is None:
            raise DiffProblem(f"{side}: no record {ref!r} in this store", Reason.NOT_FOUND)
        return bundle

    def show(self, request: Request) -> Response:
        """``GET /diff``: the form, or the comparison of ``a`` and ``b``."""
        a, b = request.query_params.get("a", ""), request.query_params.get("b", "")
        form = {"a": a, "b": b}
        if not a.strip() or not b.strip():
            return page("diff.html", form=form, result=None, error=None)
        try:
            first, second = self._load(a.strip(), "A"), self._load(b.strip(), "B")
        except CerkitError as exc:
            status = 404 if exc.reason is Reason.NOT_FOUND else 400
            error = f"{exc.reason}: {exc.message}"
            return page("diff.html", status, form=form, result=None, error=error)
        result = explanation_view(explain(first, second))
        return page(
            "diff.html", form=form, result=result, error=None, a=_side(first), b=_side(second)
        )
