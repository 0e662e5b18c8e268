"""Disclosable sealing, redacted copies and disclosure (docs/spec.md §6.3, docs/trust.md §11b).

The *openings* of a record (its salts, one per leaf) stay with the producer, in an openings
document ``{"format": "cerkit.openings.v1", "certificateHash", "salts": {path: salt}}``
kept beside the record store; a shared copy carries the salts of disclosed leaves only.

>>> bundle, openings = seal_disclosable(
...     {"executionId": "e", "provider": "p", "model": "m", "prompt": "q", "input": "yes?",
...      "output": "yes", "parameters": {"temperature": 0, "maxTokens": 1},
...      "timestamp": "2026-01-01T00:00:00.000Z"}, created_at="2026-01-01T00:00:00.000Z")
>>> shared = redact(bundle, openings, ["snapshot.output"])
>>> shared["snapshot"]["output"]["$withheld"] == (
...     bundle["snapshot"]["disclosure"]["commitments"]["snapshot.output"]["commitment"])
True
>>> "outputHash" in shared["snapshot"], shared["meta"]["disclosure"]["withheld"]
(False, ['snapshot.output'])
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from cerkit.disclosure.commitments import (
    DEFAULT_FIELDS,
    FIELD,
    MARKER,
    SCHEME,
    UNSALTED_DIGESTS,
    clone,
    disclosure_block,
    get_at,
    locator_of,
    read_block,
    replaced_all,
    set_at,
)
from cerkit.errors import InvalidRecordError, Reason, SchemaError, UsageError
from cerkit.seal import iso_now, seal_args

OPENINGS_FORMAT: Final[str] = "cerkit.openings.v1"
#: ``meta.disclosure.mode`` of a redacted copy.
REDACTED_MODE: Final[str] = "redacted"
_STR: Final[frozenset[type]] = frozenset((str,))


def seal_disclosable(
    args: Mapping[str, Any],
    *,
    created_at: str | None = None,
    now: Callable[[], str] = iso_now,
    fields: tuple[str, ...] = DEFAULT_FIELDS,
    token: Callable[[int], bytes] = secrets.token_bytes,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Seal ``createSnapshot`` arguments as a disclosable record.

    Returns:
        ``(bundle, openings)``: an ordinary NexArt-valid bundle whose snapshot carries the
        ``disclosure`` field, and the openings document the producer keeps.

    Raises:
        SchemaError: the arguments already carry a ``disclosure`` field, or do not seal.
    """
    if FIELD in args:
        raise SchemaError(f"createSnapshot arguments must not carry {FIELD!r} already")
    block, salts = disclosure_block(args, fields, token)
    bundle = seal_args({**args, FIELD: block}, created_at=created_at, now=now)
    return bundle, openings_document(bundle["certificateHash"], salts)


def openings_document(certificate_hash: str, salts: Mapping[str, str]) -> dict[str, Any]:
    return {"format": OPENINGS_FORMAT, "certificateHash": certificate_hash, "salts": dict(salts)}


def read_openings(document: Any, certificate_hash: str) -> dict[str, str]:
    """The salts of an openings document made for ``certificate_hash``.

    Raises:
        InvalidRecordError: ``OPENING_MISSING`` for another record's or a malformed document.
    """
    if not isinstance(document, dict) or document.get("format") != OPENINGS_FORMAT:
        raise InvalidRecordError(f"not a {OPENINGS_FORMAT} document", Reason.OPENING_MISSING)
    if document.get("certificateHash") != certificate_hash:
        raise InvalidRecordError(
            f"the openings are for {document.get('certificateHash')!r}, not {certificate_hash}",
            Reason.OPENING_MISSING,
        )
    salts = document.get("salts")
    if not isinstance(salts, dict) or not (
        set(map(type, salts.values())) <= _STR or all(isinstance(v, str) for v in salts.values())
    ):  # the type set decides the usual case in C calls; a str subclass needs the loop
        raise InvalidRecordError("openings salts must be strings", Reason.OPENING_MISSING)
    return dict(salts)


def select(commitments: Iterable[str], patterns: Iterable[str]) -> list[str]:
    """The leaf paths named by ``patterns``: a leaf path, or any prefix of one at a step
    boundary (``snapshot.input`` names every leaf of the input).

    Raises:
        UsageError: a pattern names no leaf.
    """
    paths = list(commitments)
    chosen: set[str] = set()
    for pattern in patterns:
        below = (pattern + ".", pattern + "[")
        hits = [p for p in paths if p == pattern or p.startswith(below)]
        if not hits:
            raise UsageError(f"{pattern!r} names no disclosable field (have: {', '.join(paths)})")
        chosen.update(hits)
    return sorted(chosen)


def redact(
    bundle: Mapping[str, Any], openings: Mapping[str, Any], withhold: Iterable[str]
) -> dict[str, Any]:
    """A shared copy of a full disclosable record with the ``withhold`` leaves replaced by
    ``{"$withheld": commitment}``, the salts of every other leaf in ``meta.disclosure``, and
    no unsalted digest (``inputHash``/``outputHash``) of a field with a withheld leaf.

    The copy is built copy-on-write: values it does not change are shared with ``bundle``
    (serialize it, or :func:`~cerkit.disclosure.commitments.clone` it before editing).

    Raises:
        InvalidRecordError: not a full disclosable record, or openings of another record.
        UsageError: a path names no disclosable field.
    """
    snapshot = bundle.get("snapshot")
    if not isinstance(snapshot, dict) or is_redacted_copy(bundle):
        raise InvalidRecordError(
            "redact needs a full disclosable record", Reason.DISCLOSURE_MALFORMED
        )
    block = read_block(snapshot)
    commitments = block.commitments
    salts = read_openings(openings, str(bundle.get("certificateHash")))
    if not salts.keys() >= commitments.keys():
        missing = [p for p in commitments if p not in salts]
        raise InvalidRecordError(f"no salt for {', '.join(missing)}", Reason.OPENING_MISSING)
    withheld = select(commitments, withhold)
    shared = dict(bundle)
    # copy-on-write: only the containers on a withheld path are new
    view = replaced_all(
        snapshot,
        ((block.locators[p], {MARKER: commitments[p]["commitment"]}) for p in withheld),
    )
    for name in {str(block.locators[p][0]) for p in withheld}:
        if name in UNSALTED_DIGESTS:
            view.pop(UNSALTED_DIGESTS[name], None)
    shared["snapshot"] = view
    chosen = set(withheld)
    disclosed = {p: salts[p] for p in commitments if p not in chosen}
    meta = dict(shared.get("meta") or {})
    meta["disclosure"] = {
        "mode": REDACTED_MODE,
        "scheme": SCHEME,
        "withheld": withheld,
        "openings": disclosed,
    }
    shared["meta"] = meta
    return shared


def disclose(
    shared: Mapping[str, Any],
    original: Mapping[str, Any],
    openings: Mapping[str, Any],
    paths: Iterable[str],
) -> dict[str, Any]:
    """A copy of ``shared`` with the leaves named by ``paths`` opened again: their values
    from ``original`` and their salts from ``openings``.

    Raises:
        InvalidRecordError: ``shared`` is not a redacted copy of ``original``.
        UsageError: a path names no withheld field.
    """
    if not is_redacted_copy(shared) or shared.get("certificateHash") != original.get(
        "certificateHash"
    ):
        raise InvalidRecordError("not a redacted copy of this record", Reason.DISCLOSURE_MALFORMED)
    salts = read_openings(openings, str(original.get("certificateHash")))
    info = shared["meta"]["disclosure"]
    opened = select(info["withheld"], paths)
    out: dict[str, Any] = clone(shared)
    for path in opened:
        _put(out["snapshot"], path, clone(get_at(original["snapshot"], locator_of(path))))
    still = [p for p in info["withheld"] if p not in opened]
    for name, digest_field in UNSALTED_DIGESTS.items():
        if not any(_under(p, name) for p in still) and digest_field in original["snapshot"]:
            out["snapshot"][digest_field] = original["snapshot"][digest_field]
    out["meta"]["disclosure"] = {
        **info,
        "withheld": still,
        "openings": {**info["openings"], **{p: salts[p] for p in opened}},
    }
    return out


def is_redacted_copy(bundle: Mapping[str, Any]) -> bool:
    meta = bundle.get("meta")
    if meta is None:  # the common case, decided without an ABC instance check
        return False
    info = meta.get("disclosure") if isinstance(meta, Mapping) else None
    return isinstance(info, Mapping) and info.get("mode") == REDACTED_MODE


def _put(snapshot: dict[str, Any], path: str, value: Any) -> None:
    set_at(snapshot, locator_of(path), value)


def _under(path: str, name: str) -> bool:
    top = "snapshot." + name
    return path == top or path.startswith((top + ".", top + "["))


__all__ = [
    "OPENINGS_FORMAT",
    "disclose",
    "is_redacted_copy",
    "openings_document",
    "read_openings",
    "redact",
    "seal_disclosable",
    "select",
]
