"""Verifying what files hold: records, project bundles, and the errors reading them raised.

A file is one JSON document or a ``.jsonl`` batch read one line at a time (a batch of any
size fits in memory). Each document gets one :class:`~cerkit.verify.report.Report`: a
``cer.project.bundle.v1`` is checked by :mod:`cerkit.verify.project`, anything else by
:func:`~cerkit.verify.verify_bundle`; a file that cannot be read is an ERROR report and a
document that cannot be parsed a FAIL report, so one bad input never hides the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from cerkit.errors import CerkitError, OperationalError
from cerkit.jsonio import iter_jsonl, load_file
from cerkit.verify import verify_bundle
from cerkit.verify.project import is_project_bundle, verify_project_bundle
from cerkit.verify.report import Layer, Report, Status
from cerkit.verify.trust import TrustStore

_CHUNK = 1 << 20  # bytes read at a time when counting a batch's lines


def documents(path: str) -> Iterator[tuple[str, Any]]:
    """``(source, document_or_error)`` for every document in a file (``-``: stdin)."""
    if path.endswith(".jsonl"):
        try:
            for number, item in iter_jsonl(path):
                yield f"{path}:{number}", item
        except OperationalError as exc:  # a missing file: reported, and the others go on
            yield path, exc
        return
    try:
        yield path, load_file(path)
    except CerkitError as exc:
        yield path, exc


def document_count(paths: Iterable[str]) -> int | None:
    """How many documents the files hold (for a progress bar): one per JSON file, one per
    line of a ``.jsonl`` (counted in chunks, never held in memory); None for stdin or a file
    that cannot be read (its error is reported when it is verified)."""
    total = 0
    for path in paths:
        if not path.endswith(".jsonl"):
            total += 1
            continue
        if path == "-":
            return None
        try:
            with open(path, "rb") as handle:
                total += sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(_CHUNK), b""))
        except OSError:
            return None
    return total


def verify_document(
    source: str, item: Any, *, trust: TrustStore | None = None, nexart_compat: bool = False
) -> Report:
    """The report for one document from :func:`documents` (or the error reading it).

    Args:
        source: where the document came from (``path`` or ``path:line``).
        item: the parsed document, or the :class:`~cerkit.errors.CerkitError` reading it raised.
        trust: what the verifier trusts (records only); None trusts nothing.
        nexart_compat: also accept NexArt's receipt layouts (records only).
    """
    if isinstance(item, OperationalError):
        report = Report(certificate_hash="", source=source)
        report.add(Layer.INTEGRITY, "read", Status.ERROR, item.reason, item.message)
        return report
    if isinstance(item, CerkitError):
        report = Report(certificate_hash="", source=source)
        report.add(Layer.INTEGRITY, "parse", Status.FAIL, item.reason, item.message)
        return report
    if is_project_bundle(item):
        return verify_project_bundle(item, source=source)
    return verify_bundle(item, source=source, trust=trust, nexart_compat=nexart_compat)


def verify_files(
    paths: Iterable[str], *, trust: TrustStore | None = None, nexart_compat: bool = False
) -> Iterator[Report]:
    """One report per document in ``paths``, in order, streamed."""
    for path in paths:
        for source, item in documents(path):
            yield verify_document(source, item, trust=trust, nexart_compat=nexart_compat)


__all__ = ["document_count", "documents", "verify_document", "verify_files"]
