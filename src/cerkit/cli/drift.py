"""``cerkit drift``: output change points per execution key over a ledger, explained."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from typing import Any

from cerkit.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    add_store_option,
    error,
    progress,
    write_json_line,
)
from cerkit.errors import OperationalError, UsageError

NAME = "drift"
HELP = "find and explain output changes over time for records with the same inputs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE", help="bundle files (.json/.jsonl)")
    add_store_option(parser, "the record store to read (the default source)")
    parser.add_argument("--key", metavar="K", help="only the execution key K (a prefix works)")
    parser.add_argument("--since", metavar="T", help="only records created at or after T (ISO)")
    parser.add_argument("--baseline", metavar="DIR", help="golden records to compare against")
    parser.add_argument(
        "--fail-on",
        choices=("unexplained", "any"),
        help="exit 1 on unexplained drift, or on any drift",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")


def _watch(rows: Iterable[Any], total: int) -> Iterable[Any]:
    return progress(rows, total=total, desc="reading")


def _explaining(groups: list[Any], total: int) -> Iterable[Any]:
    return progress(groups, total=total, desc="explaining")


def run(args: argparse.Namespace) -> int:
    from cerkit.drift.html import render
    from cerkit.drift.render import timeline_text
    from cerkit.drift.served import served_history, served_html, served_text
    from cerkit.drift.sources import baseline_bundles, rows_from_files, rows_from_store
    from cerkit.drift.timeline import analyze, failing

    if args.files and args.store:
        raise UsageError("give record files or --store, not both")
    golden = baseline_bundles(args.baseline) if args.baseline else []
    key = None
    if args.key:
        key = args.key if args.key.startswith("sha256:") else "sha256:" + args.key
    if args.files:
        source = rows_from_files(args.files, args.since)
    else:
        source = rows_from_store(args.store, args.since, key=key, watch=_watch)
    try:
        rows = source.rows
        if key:
            rows = [r for r in rows if r[1].startswith(key)]
        timeline = analyze(rows, source.load, baseline=golden, watch=_explaining)
        served = served_history(rows, source.load)  # which models answered provider calls
    finally:
        source.close()
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as handle:
                handle.write(render(timeline, sections=(served_html(served),)))
        except OSError as exc:
            raise OperationalError(f"cannot write {args.html}: {exc.strerror}") from None
        print(f"cerkit: wrote {args.html}", file=sys.stderr)
    if args.json:
        write_json_line(timeline.to_json() | {"servedModels": [h.to_json() for h in served]})
    else:
        text = "\n".join(filter(None, (timeline_text(timeline), served_text(served))))
        sys.stdout.write(text + "\n")
    bad = failing(timeline, args.fail_on) if args.fail_on else []
    if bad:
        error(f"drift gate failed (--fail-on {args.fail_on}): {', '.join(sorted(bad))}")
        return EXIT_FAILED
    return EXIT_OK
