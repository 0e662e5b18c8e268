"""``cerkit verify``: verify CER bundles offline and report each trust layer."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from typing import Any

from cerkit.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_OPERATIONAL,
    error,
    progress,
    write_json_line,
)
from cerkit.errors import CerkitError, OperationalError
from cerkit.jsonio import iter_jsonl, load_file
from cerkit.verify import Layer, Report, Status, TrustStore, verify_bundle
from cerkit.verify.project import is_project_bundle, verify_project_bundle

NAME = "verify"
HELP = "verify CER bundles (files or .jsonl batches); exit 0 verified, 1 failed, 3 could not run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="one JSON report per record (JSON Lines)"
    )
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="FILE",
        help="trusted node key document or trust bundle (repeatable); enables layers 3-4",
    )
    parser.add_argument(
        "--producer-key",
        action="append",
        default=[],
        metavar="FILE",
        help="trusted producer public key (PEM or key document; repeatable); enables layer 2",
    )
    parser.add_argument(
        "--node",
        action="append",
        default=[],
        metavar="URL",
        help="fetch a node's key document and checkpoint once and trust them (repeatable)",
    )
    parser.add_argument(
        "--nexart-compat",
        action="store_true",
        help="also accept NexArt's receipt layouts (the report says so)",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="bundle .json or .jsonl; - for stdin"
    )


def trust_from_args(args: argparse.Namespace) -> TrustStore | None:
    """The trust store named by ``--trust``, ``--node`` and ``--producer-key`` (None: trust
    nothing)."""
    if not args.trust and not args.producer_key and not args.node:
        return None
    store = TrustStore()
    if args.node:
        from cerkit.node.client import trust_from_nodes

        store = store.merged(trust_from_nodes(args.node))
    for path in args.trust:
        store = store.merged(TrustStore.load(path))
    for path in args.producer_key:
        store = store.with_producer_key_file(path)
    return store


def _documents(path: str) -> Iterator[tuple[str, Any]]:
    """``(source, bundle_or_error)`` for every record in a file."""
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


def _record_count(paths: list[str]) -> int | None:
    """How many records the files hold, for the progress bar's total: one per JSON file,
    one per line of a ``.jsonl`` (counted in chunks, never held in memory); None for stdin."""
    total = 0
    for path in paths:
        if not path.endswith(".jsonl"):
            total += 1
            continue
        if path == "-":
            return None
        try:
            with open(path, "rb") as handle:
                total += sum(
                    chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")
                )
        except OSError:
            return None  # the read error is reported when the file is verified
    return total


def _report_for(source: str, item: Any, **options: Any) -> Report:
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
    return verify_bundle(item, source=source, **options)


def render(report: Report) -> str:
    """One summary line, then one indented line per check that did not pass."""
    cert = report.certificate_hash or "-"
    lines = [f"{report.verdict:<8} {report.assurance.label:<8} {cert}  {report.source}"]
    for check in report.checks:
        if check.status is not Status.PASS:
            where = f"{check.layer}/{check.name}"
            lines.append(f"    {check.status}: {where}: {check.reason} {check.message}".rstrip())
    lines.extend(f"    note: {note}" for note in report.notes)
    return "\n".join(lines)


def diagnosis(report: Report) -> str:
    """The one stderr line for a record that did not verify: where, the first reason, why."""
    failures = report.failures
    if not failures:
        return f"{report.source}: {report.verdict}: integrity was not checked"
    first = failures[0]
    return f"{report.source}: {first.reason}: {first.message}"


def run(args: argparse.Namespace) -> int:
    failed = errored = 0
    options = {"trust": trust_from_args(args), "nexart_compat": args.nexart_compat}
    # Records stream from the files one at a time, so a batch of any size fits in memory.
    items = (item for path in args.files for item in _documents(path))
    total = _record_count(args.files) if sys.stderr.isatty() else None
    for source, item in progress(items, total=total, desc="verify"):
        report = _report_for(source, item, **options)
        if args.json:
            write_json_line(report.to_dict())
        else:
            print(render(report))
        if not report.ok:
            error(diagnosis(report))
        if report.errored:
            errored += 1
        elif not report.ok:
            failed += 1
    if errored:
        return EXIT_OPERATIONAL
    return EXIT_FAILED if failed else EXIT_OK
