"""``cerkit verify``: verify CER bundles offline and report each trust layer."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cerkit._text import counted
from cerkit.cli._common import EXIT_FAILED, EXIT_OK, EXIT_OPERATIONAL, error, progress

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cerkit.verify.report import Report
    from cerkit.verify.trust import TrustStore

NAME = "verify"
HELP = "verify CER bundles (files or .jsonl batches); exit 0 verified, 1 failed, 3 could not run"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--json", action="store_true", help="one JSON report per record (JSON Lines)"
    )
    parser.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        help="print only the records that did not verify, and the summary line",
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
        "--content",
        action="append",
        default=[],
        metavar="FILE",
        help="prove this content was the recorded input or output (repeatable; one record)",
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="bundle .json or .jsonl; - for stdin"
    )


def trust_from_args(args: argparse.Namespace) -> TrustStore | None:
    """The trust store named by ``--trust``, ``--node`` and ``--producer-key`` (None: trust
    nothing)."""
    from cerkit.verify.trust import TrustStore

    if not args.trust and not args.producer_key and not args.node:
        return None
    store = TrustStore()
    if args.node:
        from cerkit.node.client import trust_from_nodes

        for url in args.node:
            error(
                f"note: trusting the keys {url} serves now (trust on first use); to pin them, "
                f"save {url.rstrip('/')}/.well-known/cerkit-node.json and pass --trust FILE"
            )
        store = store.merged(trust_from_nodes(args.node))
    for path in args.trust:
        store = store.merged(TrustStore.load(path))
    for path in args.producer_key:
        store = store.with_producer_key_file(path)
    return store


def _content_readings(path: str) -> list[Any]:
    """A content file read both ways: as JSON (when it parses) and as its UTF-8 text."""
    from cerkit.cli._common import os_error
    from cerkit.errors import CerkitError
    from cerkit.jsonio import loads

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise os_error(exc) from None
    readings: list[Any] = [raw.decode("utf-8", "replace")]
    with contextlib.suppress(CerkitError):
        readings.insert(0, loads(raw))
    return readings


def _with_content(args: argparse.Namespace, reports: Iterator[Report]) -> Iterator[Report]:
    from cerkit.errors import UsageError
    from cerkit.jsonio import load_file
    from cerkit.verify.disclosure import check_content

    if len(args.files) != 1 or args.files[0].endswith(".jsonl"):
        raise UsageError("--content checks one record file")
    candidates = [(path, _content_readings(path)) for path in args.content]
    bundle = load_file(args.files[0])
    for report in reports:
        check_content(bundle, candidates, report)
        yield report


def summary_line(verdicts: Counter[str]) -> str:
    """``3 records: 2 VERIFIED, 1 FAILED``: how many records, then how many of each verdict
    (in the order VERIFIED, FAILED, ERROR; a verdict no record reached is left out)."""
    total = sum(verdicts.values())
    parts = [f"{verdicts[v]} {v}" for v in ("VERIFIED", "FAILED", "ERROR") if verdicts[v]]
    return f"{counted(total, 'record')}: {', '.join(parts) or 'none read'}"


def run(args: argparse.Namespace) -> int:
    from cerkit.verify.documents import document_count, verify_files
    from cerkit.verify.render import diagnosis, report_json, report_text

    verdicts: Counter[str] = Counter()
    reports = verify_files(
        args.files, trust=trust_from_args(args), nexart_compat=args.nexart_compat
    )
    if args.content:
        reports = _with_content(args, reports)
    total = document_count(args.files) if sys.stderr.isatty() else None
    for report in progress(reports, total=total, desc="verify"):
        if not (args.quiet and report.ok):
            print(report_json(report) if args.json else report_text(report))
        if not report.ok:
            error(diagnosis(report))
        verdicts[report.verdict] += 1
    if args.quiet or verdicts.total() != 1:  # one record's own line is its summary
        sys.stdout.flush()  # the summary comes last, also when both streams share a terminal
        print(summary_line(verdicts), file=sys.stderr)
    if verdicts["ERROR"]:
        return EXIT_OPERATIONAL
    return EXIT_FAILED if verdicts["FAILED"] else EXIT_OK
