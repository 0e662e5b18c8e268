"""The ledger page (``/records``): filters and search read from the query string, checked,
turned into one keyset page of a :class:`~cerkit.portal.source.Source`.

Every parameter is untrusted: each has a length bound, times must look like ISO 8601, the
verdict must be one of :data:`~cerkit.ledger.base.OUTPUT_VERDICTS`, and a cursor must be one
the source made. Links to the neighbouring pages carry the filters and the cursor, never an
offset (docs/portal.md, "Ledger").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final
from urllib.parse import urlencode

from cerkit.errors import Reason, RequestError
from cerkit.ledger.base import OUTPUT_VERDICTS, BrowseQuery
from cerkit.portal.source import HASH_PREFIX, PAGE_ROWS, Page, Source

#: The longest filter value read (an entry point or model name is far shorter).
MAX_FILTER_CHARS: Final[int] = 512
#: A time bound: an ISO 8601 date or date-time, as a ``datetime-local`` input sends it.
_TIME: Final[re.Pattern[str]] = re.compile(
    r"\d{4}(-\d\d(-\d\d([T ]\d\d(:\d\d(:\d\d(\.\d{1,9})?)?)?)?)?)?Z?"
)
#: Sorts after every character of an ISO 8601 time: ``until`` a day or minute includes it.
_END: Final[str] = "~"
#: Query-string name -> BrowseQuery field, for the equality filters.
_EQUAL: Final[dict[str, str]] = {
    "entry": "entry_point",
    "model": "model",
    "status": "status",
    "verdict": "verdict",
}


@dataclass(frozen=True, slots=True)
class LedgerRequest:
    """A checked ledger request: the query, the search and the cursor."""

    query: BrowseQuery
    form: dict[str, str] = field(default_factory=dict)  # the filters as typed, for the form
    cursor: str | None = None
    newer: bool = False


def _value(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "").strip()
    if len(value) > MAX_FILTER_CHARS:
        raise RequestError(
            f"{name} is longer than {MAX_FILTER_CHARS} characters", Reason.BAD_REQUEST
        )
    return value


def _time(name: str, value: str) -> str:
    if not _TIME.fullmatch(value):
        raise RequestError(f"{name} must be an ISO 8601 date or time", Reason.BAD_REQUEST)
    return value.replace(" ", "T")


def parse_request(params: Mapping[str, str], source: Source) -> LedgerRequest:
    """Check the query string of a ledger request against what ``source`` can answer.

    Raises:
        RequestError: ``BAD_REQUEST``, naming the parameter.
    """
    form = {name: _value(params, name) for name in (*_EQUAL, "since", "until", "q")}
    fields: dict[str, str] = {}
    for name, attribute in _EQUAL.items():
        if form[name]:
            fields[attribute] = form[name]
    if form["verdict"] and form["verdict"] not in OUTPUT_VERDICTS:
        raise RequestError(
            f"verdict must be one of {', '.join(OUTPUT_VERDICTS)}", Reason.BAD_REQUEST
        )
    if form["since"]:
        fields["since"] = _time("since", form["since"])
    if form["until"]:
        fields["until"] = _time("until", form["until"]) + _END
    refused = sorted(set(fields) - source.filters)
    if refused:
        raise RequestError(
            f"the {source.label} cannot filter by {', '.join(refused)}", Reason.BAD_REQUEST
        )
    query = BrowseQuery(limit=PAGE_ROWS, **fields)  # type: ignore[arg-type]
    if form["q"]:
        query = _search(query, form["q"], source)
    before, after = _value(params, "before"), _value(params, "after")
    cursor = after or before or None
    return LedgerRequest(query, form, cursor, newer=bool(after))


def _search(query: BrowseQuery, text: str, source: Source) -> BrowseQuery:
    """A hash prefix (any case) when records start with it, else an executionId."""
    if HASH_PREFIX.fullmatch(text.lower()):
        by_prefix = replace(query, prefix=text.lower())
        if (
            "execution_id" not in source.filters
            or source.page(replace(by_prefix, limit=1), None, False).rows
        ):
            return by_prefix
    if "execution_id" not in source.filters:
        raise RequestError(
            f"the {source.label} is searched by certificate hash prefix only", Reason.BAD_REQUEST
        )
    return replace(query, execution_id=text)


def page_links(request: LedgerRequest, page: Page) -> dict[str, str | None]:
    """The ``href`` of the older and newer pages: the filters as typed plus a cursor."""
    kept = {name: value for name, value in request.form.items() if value}

    def link(name: str, cursor: str | None) -> str | None:
        return None if cursor is None else "/records?" + urlencode({**kept, name: cursor})

    return {"older": link("before", page.older), "newer": link("after", page.newer)}
