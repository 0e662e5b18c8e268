"""``cerkit verify``: verify CER bundles offline and report each trust layer."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, EXIT_OPERATIONAL, error, progress

if TYPE_CHECKING:
    from cerkit.verify.trust import TrustStore

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
    from cerkit.verify.trust import TrustStore

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


def run(args: argparse.Namespace) -> int:
    from cerkit.verify.documents import document_count, verify_files
    from cerkit.verify.render import diagnosis, report_json, report_text

    failed = errored = 0
    reports = verify_files(
        args.files, trust=trust_from_args(args), nexart_compat=args.nexart_compat
    )
    total = document_count(args.files) if sys.stderr.isatty() else None
    for report in progress(reports, total=total, desc="verify"):
        print(report_json(report) if args.json else report_text(report))
        if not report.ok:
            error(diagnosis(report))
        if report.errored:
            errored += 1
        elif not report.ok:
            failed += 1
    if errored:
        return EXIT_OPERATIONAL
    return EXIT_FAILED if failed else EXIT_OK
