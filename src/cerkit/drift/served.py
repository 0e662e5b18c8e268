"""Which models answered: per requested model, the served models and provider fingerprints
over time (``cerkit drift``, terminal, JSON and HTML).

Provider aliases (``gpt-4o``) are re-pointed to new snapshots, and a provider changes its
``system_fingerprint`` when its serving stack changes: both are drift causes that no code
change explains. This view reads the records of provider calls (those with a
``modelIdentity.requestedModel`` and no Python entry point), groups them by provider and
requested model, and run-length encodes ``(servedModel, providerFingerprint)`` in time
order, so each re-pointing is one line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final

#: Provider-call records read for the view; a larger ledger is read up to here (and says so).
MAX_SERVED_RECORDS: Final[int] = 200_000

Loader = Callable[[str], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Span:
    """Consecutive calls answered by the same served model and fingerprint."""

    served_model: str | None
    fingerprint: str | None
    first: str
    last: str
    count: int

    def to_json(self) -> dict[str, Any]:
        return {
            "servedModel": self.served_model,
            "providerFingerprint": self.fingerprint,
            "first": self.first,
            "last": self.last,
            "count": self.count,
        }


@dataclass(frozen=True, slots=True)
class ModelHistory:
    """The spans of one requested model of one provider, oldest first."""

    provider: str
    requested_model: str
    spans: tuple[Span, ...]
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "requestedModel": self.requested_model,
            "spans": [s.to_json() for s in self.spans],
            "truncated": self.truncated,
        }


def _facts(bundle: Mapping[str, Any]) -> tuple[str, str, str | None, str | None] | None:
    snapshot = bundle.get("snapshot")
    if not isinstance(snapshot, Mapping):
        return None
    identity = snapshot.get("modelIdentity")
    execution = snapshot.get("execution")
    if not isinstance(identity, Mapping) or not isinstance(identity.get("requestedModel"), str):
        return None
    if isinstance(execution, Mapping) and execution.get("entryPoint"):
        return None  # a Python function that names a model, not a provider call
    served = identity.get("servedModel") or snapshot.get("modelVersion")
    fingerprint = identity.get("providerFingerprint")
    return (
        str(snapshot.get("provider") or identity.get("provider") or "?"),
        identity["requestedModel"],
        served if isinstance(served, str) else None,
        fingerprint if isinstance(fingerprint, str) else None,
    )


def served_history(rows: Iterable[Sequence[str]], load: Loader) -> tuple[ModelHistory, ...]:
    """The history of every requested model among ``rows``.

    Args:
        rows: ``(certificateHash, executionKey, time, outputHash)`` per record.
        load: the full bundle of a certificate hash. One record per execution key is read
            to learn whether the key is a provider call; the records of provider-call keys
            are then read in full (up to :data:`MAX_SERVED_RECORDS`).
    """
    by_key: dict[str, list[tuple[str, str]]] = {}
    for cert, key, time, *_ in rows:
        by_key.setdefault(key, []).append((time, cert))
    calls: dict[tuple[str, str], list[tuple[str, str | None, str | None]]] = {}
    read, truncated = 0, False
    for entries in by_key.values():
        entries.sort()
        if _facts(load(entries[0][1])) is None:
            continue
        for time, cert in entries:
            if read >= MAX_SERVED_RECORDS:
                truncated = True
                break
            read += 1
            facts = _facts(load(cert))
            if facts is not None:
                provider, requested, served, fingerprint = facts
                calls.setdefault((provider, requested), []).append((time, served, fingerprint))
    return tuple(
        ModelHistory(provider, requested, _spans(sorted(found)), truncated)
        for (provider, requested), found in sorted(calls.items())
    )


def _spans(calls: list[tuple[str, str | None, str | None]]) -> tuple[Span, ...]:
    spans: list[Span] = []
    for time, served, fingerprint in calls:
        last = spans[-1] if spans else None
        if last is not None and (last.served_model, last.fingerprint) == (served, fingerprint):
            spans[-1] = Span(served, fingerprint, last.first, time, last.count + 1)
        else:
            spans.append(Span(served, fingerprint, time, time, 1))
    return tuple(spans)


def served_text(histories: Sequence[ModelHistory]) -> str:
    """The terminal view: one line per span, under its requested model."""
    if not histories:
        return ""
    lines = ["served models, per requested model:"]
    for history in histories:
        changes = len(history.spans) - 1
        lines.append(
            f"  {history.provider} {history.requested_model}: {len(history.spans)} "
            f"served model/fingerprint span{'s' if len(history.spans) != 1 else ''}"
            f"{f', {changes} change' + ('s' if changes != 1 else '') if changes else ''}"
        )
        for span in history.spans:
            count = f"{span.count} call{'s' if span.count != 1 else ''}"
            lines.append(
                f"    {span.first} .. {span.last}  {span.served_model or '(not reported)'}  "
                f"fingerprint {span.fingerprint or '(none)'}  ({count})"
            )
        if history.truncated:
            lines.append(f"    (read up to {MAX_SERVED_RECORDS} records)")
    return "\n".join(lines)


def served_html(histories: Sequence[ModelHistory]) -> str:
    """The HTML section of the drift report (every value escaped)."""
    if not histories:
        return ""
    parts = ["<h2>Served models, per requested model</h2>"]
    for history in histories:
        parts.append(
            f"<h3>{escape(history.provider)} <code>{escape(history.requested_model)}</code></h3>"
            "<table class='served'><tr><th>from</th><th>to</th><th>served model</th>"
            "<th>fingerprint</th><th>calls</th></tr>"
        )
        for span in history.spans:
            parts.append(
                f"<tr><td>{escape(span.first)}</td><td>{escape(span.last)}</td>"
                f"<td><code>{escape(span.served_model or '(not reported)')}</code></td>"
                f"<td><code>{escape(span.fingerprint or '(none)')}</code></td>"
                f"<td>{span.count}</td></tr>"
            )
        parts.append("</table>")
    return "".join(parts)


__all__ = [
    "MAX_SERVED_RECORDS",
    "ModelHistory",
    "Span",
    "served_history",
    "served_html",
    "served_text",
]
