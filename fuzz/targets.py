"""One-input fuzz targets: each takes raw bytes and fails only on a real bug.

A target may see any bytes. Our own refusals (:class:`cerkit.errors.CerkitError` with a
reason) are correct answers; anything else raised, or a broken invariant, is a crash:

* :func:`json_reader`: :func:`cerkit.jsonio.loads` parses or refuses with a reason; what it
  parses re-serializes and parses back to an equal value;
* :func:`canonicalizer`: for a document that parses, each profile canonicalizes it or refuses
  with ``CANONICALIZATION_ERROR``; canonical bytes are valid JSON and a fixed point;
* :func:`verifier`: :func:`cerkit.verify.verify_bundle` returns a report for any document
  (never raises) and the report serializes.

``fuzz/atheris_json.py`` drives these under coverage guidance; tests/test_fuzz_smoke.py runs
them over a small seeded corpus in every ``make test``.
"""

from __future__ import annotations

import json
from typing import Any

from cerkit.canonical import canonicalize
from cerkit.errors import CanonicalizationError, CerkitError, InvalidRecordError
from cerkit.jsonio import dumps, loads

PROFILES = ("nexart-v1", "jcs-v1")
READ_REASONS = frozenset(("MALFORMED_JSON", "INPUT_TOO_DEEP", "INPUT_TOO_LARGE"))


def _parse(data: bytes) -> tuple[bool, Any]:
    try:
        return True, loads(data)
    except InvalidRecordError as exc:
        if exc.reason not in READ_REASONS:
            raise AssertionError(f"loads refused with reason {exc.reason}") from exc
        return False, None


def json_reader(data: bytes) -> None:
    ok, value = _parse(data)
    if not ok:
        return
    again = loads(dumps(value))
    if json.dumps(again, sort_keys=True) != json.dumps(value, sort_keys=True):
        raise AssertionError("a parsed document does not read back equal")


def canonicalizer(data: bytes) -> None:
    ok, value = _parse(data)
    if not ok:
        return
    for profile in PROFILES:
        try:
            once = canonicalize(value, profile)
        except CanonicalizationError:
            continue
        try:
            twice = canonicalize(loads(once), profile)
        except CerkitError as exc:
            raise AssertionError(f"{profile} output {once[:80]!r} is refused: {exc}") from exc
        if twice != once:
            raise AssertionError(f"{profile} output is not a fixed point: {once[:80]!r}")


def verifier(data: bytes) -> None:
    from cerkit.verify import verify_bundle

    ok, value = _parse(data)
    if not ok:
        return
    report = verify_bundle(value, source="fuzz")
    json.dumps(report.to_dict())
    dumps(report.to_dict()).encode("utf-8")


TARGETS = {"json_reader": json_reader, "canonicalizer": canonicalizer, "verifier": verifier}
