"""Record-to-record diff: every change between two CER bundles, grouped by facet.

A change has a facet, a dotted path into the bundle, the value before and after, and a
status: ``changed``, ``added``, ``removed`` or ``unknown``. A fact that one side could not
read (a fingerprint part or field holding ``{"unknown": reason}``, or a part one record does
not carry at all) is ``unknown``: never reported as unchanged (docs/drift.md §2).

Volatile facts that differ on every run by construction (``executionId``, timestamps,
durations, request ids, ``certificateHash``, ``meta``) are not compared. The diff is pure and
compares equal subtrees with one ``==`` before descending, so two fully fingerprinted records
(about 500 packages each) diff in well under a millisecond.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

#: Facets in the order reports list them (DESIGN.md §5).
FACETS: Final[tuple[str, ...]] = (
    "inputs",
    "parameters",
    "effectiveParameters",
    "modelIdentity",
    "code",
    "dependencies",
    "runtime",
    "hardware",
    "environmentVariables",
    "context",
    "outputs",
)

_S = "snapshot"
_ENV = (_S, "environment")
_EXE = (_S, "execution")

#: Where each facet's facts live. A source absent from both records is skipped; absent from
#: one of them, it is unknown on that side.
_SOURCES: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("inputs", (_S, "prompt")),
    ("inputs", (_S, "input")),
    ("inputs", (_S, "inputHash")),
    ("parameters", (_S, "parameters")),
    ("effectiveParameters", (_S, "effectiveParameters")),
    ("modelIdentity", (_S, "provider")),
    ("modelIdentity", (_S, "model")),
    ("modelIdentity", (_S, "modelVersion")),
    ("modelIdentity", (_S, "modelIdentity")),
    ("code", (*_EXE, "kind")),
    ("code", (*_EXE, "entryPoint")),
    ("code", (*_EXE, "codeDigest")),
    ("code", (*_EXE, "argv")),
    ("code", (*_EXE, "seeds")),
    ("code", (*_EXE, "userCode")),
    ("code", (*_ENV, "git")),
    ("dependencies", (*_ENV, "packages")),
    ("dependencies", (*_ENV, "imported")),
    ("runtime", (*_ENV, "python")),
    ("runtime", (*_ENV, "os")),
    ("runtime", (*_ENV, "locale")),
    ("hardware", (*_ENV, "hardware")),
    ("hardware", (*_ENV, "gpus")),
    ("hardware", (*_ENV, "numeric")),
    ("environmentVariables", (*_ENV, "envVars")),
    ("context", ("context",)),
    ("context", ("contextSummary",)),
    ("context", ("policyEvaluation",)),
    ("context", (_S, "toolCalls")),
    ("outputs", (_S, "output")),
    ("outputs", (_S, "outputHash")),
    ("outputs", (*_EXE, "status")),
    ("outputs", (*_EXE, "error")),
    ("outputs", (*_EXE, "exitCode")),
    ("outputs", (*_EXE, "stdoutDigest")),
    ("outputs", (*_EXE, "stderrDigest")),
    ("outputs", (*_EXE, "files")),
)

#: Keys never compared wherever they appear: how a fact was read, ids, times, durations.
_VOLATILE: Final[frozenset[str]] = frozenset(
    ("source", "requestId", "responseId", "startedAt", "endedAt", "durationMs", "timestamp")
)
#: Objects whose keys are names (packages, variables, files): there a key called ``source``
#: or ``unknown`` is a name to compare, not a marker.
_NAME_MAPS: Final[tuple[str, ...]] = (
    "packages.installed",
    "imported.packages",
    "envVars.values",
    "weightsManifest",
    "files.inputs",
    "files.outputs",
    "userCode.files",
    "git.diffDigests",
)
#: Records before the git part said ``repository: false`` wrote this unknown instead; it is
#: the same comparable fact (docs/drift.md §2).
_NOT_A_REPOSITORY: Final[str] = "not a git repository"
#: Parts that are unknown, not added or removed, when only one record carries them.
_ONE_SIDED_UNKNOWN: Final[tuple[tuple[str, ...], ...]] = (
    (_S, "modelIdentity"),
    (*_EXE, "userCode"),
)
_MARKER_KEYS: Final[frozenset[str]] = frozenset(("unknown", "source", "reason"))


class _Missing:
    """The value of a fact a record does not carry."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Final = _Missing()


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between two records."""

    facet: str
    path: str
    before: Any
    after: Any
    status: str  # "changed" | "added" | "removed" | "unknown"
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"facet": self.facet, "path": self.path, "status": self.status}
        out["before"] = None if self.before is MISSING else self.before
        out["after"] = None if self.after is MISSING else self.after
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True, slots=True)
class RecordDiff:
    """All changes from record ``a`` to record ``b``, in facet order."""

    a: Mapping[str, Any]
    b: Mapping[str, Any]
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def in_facet(self, facet: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.facet == facet)

    @property
    def known(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.status != "unknown")

    @property
    def unknown(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.status == "unknown")

    def facets(self) -> dict[str, list[dict[str, Any]]]:
        """Changes grouped by facet, as JSON (facets without changes are left out)."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for change in self.changes:
            grouped.setdefault(change.facet, []).append(change.to_json())
        return grouped


def lookup(bundle: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in ``bundle``, or :data:`MISSING`."""
    node: Any = bundle
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return MISSING
        node = node[part]
    return node


def diff_records(a: Mapping[str, Any], b: Mapping[str, Any]) -> RecordDiff:
    """Compare two bundles fact by fact.

    Args:
        a: the earlier (or reference) bundle.
        b: the later (or candidate) bundle.

    Returns:
        A :class:`RecordDiff` listing every change, unknown facts included.
    """
    changes: list[Change] = []
    if lookup(a, _ENV) is MISSING and lookup(b, _ENV) is MISSING:
        # No runtime fingerprint on either side (a plain NexArt record): nothing about the
        # runtime can be called unchanged.
        reason = "no runtime fingerprint in either record"
        changes.append(Change("runtime", ".".join(_ENV), MISSING, MISSING, "unknown", reason))
    for facet, path in _SOURCES:
        before, after = _fact(path, lookup(a, path)), _fact(path, lookup(b, path))
        if before is MISSING and after is MISSING:
            continue
        name = ".".join(path)
        one_sided = before is MISSING or after is MISSING
        if one_sided and (path[:2] == _ENV or path in _ONE_SIDED_UNKNOWN):
            side = "first" if before is MISSING else "second"
            changes.append(
                Change(facet, name, before, after, "unknown", f"not recorded in the {side}")
            )
            continue
        _compare(facet, name, path[-1], before, after, changes)
    return RecordDiff(a, b, tuple(changes))


def _fact(path: tuple[str, ...], value: Any) -> Any:
    """A recorded value as a comparable fact (older spellings of the same fact mapped)."""
    if (
        path[-1] == "git"
        and isinstance(value, Mapping)
        and value.get("unknown") == _NOT_A_REPOSITORY
    ):
        return {"source": value.get("source"), "repository": False}
    return value


def _unknown_reason(value: Any, path: str) -> str | None:
    if (
        isinstance(value, Mapping)
        and isinstance(value.get("unknown"), str)
        and value.keys() <= _MARKER_KEYS
        and not path.endswith(_NAME_MAPS)
    ):
        return str(value["unknown"])
    return None


def _compare(facet: str, path: str, name: str, before: Any, after: Any, out: list[Change]) -> None:
    """Append the changes between ``before`` and ``after`` (both at ``path``) to ``out``."""
    why_a, why_b = _unknown_reason(before, path), _unknown_reason(after, path)
    if why_a is not None or why_b is not None:
        reason = "; ".join(f"{s}: {w}" for s, w in (("first", why_a), ("second", why_b)) if w)
        out.append(Change(facet, path, before, after, "unknown", reason))
        return
    if before is MISSING:
        out.append(Change(facet, path, before, after, "added"))
        return
    if after is MISSING:
        out.append(Change(facet, path, before, after, "removed"))
        return
    if type(before) is type(after) and before == after:
        return
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        names = path.endswith(_NAME_MAPS)
        for key in _ordered_keys(before, after):
            if key in _VOLATILE and not names:
                continue
            _compare(
                facet, f"{path}.{key}", key, before.get(key, MISSING), after.get(key, MISSING), out
            )
        return
    if isinstance(before, list) and isinstance(after, list):
        _compare_lists(facet, path, name, before, after, out)
        return
    out.append(Change(facet, path, before, after, "changed"))


def _ordered_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    keys = list(before)
    keys.extend(k for k in after if k not in before)
    return keys


def _compare_lists(
    facet: str, path: str, name: str, before: list[Any], after: list[Any], out: list[Change]
) -> None:
    if all(isinstance(x, str) for x in before) and all(isinstance(x, str) for x in after):
        removed = sorted(set(before) - set(after))
        added = sorted(set(after) - set(before))
        if removed or added:
            out.append(Change(facet, path, removed, added, "changed", "set difference"))
        else:
            out.append(Change(facet, path, before, after, "changed", "order differs"))
        return
    for index in range(max(len(before), len(after))):
        item_a = before[index] if index < len(before) else MISSING
        item_b = after[index] if index < len(after) else MISSING
        _compare(facet, f"{path}[{index}]", name, item_a, item_b, out)


__all__ = ["FACETS", "MISSING", "Change", "RecordDiff", "diff_records", "lookup"]
