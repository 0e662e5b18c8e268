"""``cerkit drift``: output change points per execution key over a ledger, explained."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from typing import Any, Final

from cerkit.cli import _confirm
from cerkit.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    add_store_option,
    error,
    existing_store,
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
    parser.add_argument(
        "--confirm", action="store_true", help="re-run to test the causes at each change point"
    )
    _confirm.add_arguments(parser)


def _watch(rows: Iterable[Any], total: int) -> Iterable[Any]:
    return progress(rows, total=total, desc="reading")


def _explaining(groups: list[Any], total: int) -> Iterable[Any]:
    return progress(groups, total=total, desc="explaining")


#: Change points confirmed by ``--confirm`` (the first ones, one per key and output change).
MAX_CONFIRMED: Final[int] = 10


def _confirm_points(timeline: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Confirm the drift at each change point (up to MAX_CONFIRMED), within the budget."""
    import time

    started = time.monotonic()
    budget = args.budget
    found = []
    points = [p for p in timeline.change_points() if p.explanation and p.explanation.is_drift]
    for point in points[:MAX_CONFIRMED]:
        if budget is not None:
            args.budget = budget - (time.monotonic() - started)
            if args.budget <= 0:
                break
        done = _confirm.run_reruns(point.explanation, "confirm", args)
        done.pop("_result")
        found.append({"time": point.time, "before": point.before, "after": point.after, **done})
    args.budget = budget
    return found


#: Beyond this many records, ``cerkit drift`` does not read every record to group workflow
#: steps (the timeline itself reads only change points); docs/drift.md §8.
MAX_WORKFLOW_RECORDS: Final[int] = 20_000


def _workflow_steps(rows: Sequence[Any], load: Any) -> list[dict[str, Any]]:
    """Workflow step records grouped per workflow and step (``workflowSteps``)."""
    from cerkit.drift.steps import step_groups

    if len(rows) > MAX_WORKFLOW_RECORDS:
        error(f"more than {MAX_WORKFLOW_RECORDS} records: workflow steps are not grouped")
        return []
    return step_groups([load(row[0]) for row in rows])


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
        source = rows_from_store(existing_store(args.store), args.since, key=key, watch=_watch)
    try:
        rows = source.rows
        if key:
            rows = [r for r in rows if r[1].startswith(key)]
        timeline = analyze(rows, source.load, baseline=golden, watch=_explaining)
        served = served_history(rows, source.load)  # which models answered provider calls
        steps = _workflow_steps(rows, source.load)
    finally:
        source.close()
    confirmed = _confirm_points(timeline, args) if args.confirm else []
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as handle:
                handle.write(render(timeline, sections=(served_html(served),)))
        except OSError as exc:
            raise OperationalError(f"cannot write {args.html}: {exc.strerror}") from None
        print(f"cerkit: wrote {args.html}", file=sys.stderr)
    if args.json:
        extra = {"confirmations": confirmed} if args.confirm else {}
        served_json = {"servedModels": [h.to_json() for h in served]}
        write_json_line({**timeline.to_json(), **served_json, "workflowSteps": steps, **extra})
    else:
        from cerkit.drift.steps import step_groups_text

        parts = (timeline_text(timeline), served_text(served), step_groups_text(steps))
        text = "\n".join(filter(None, parts))
        sys.stdout.write(text + "\n")
        for item in confirmed:
            result = item["confirmation"]
            print(f"{item['time']}: {result['verdict']}: {result['summary']}")
    bad = failing(timeline, args.fail_on) if args.fail_on else []
    if bad:
        error(f"drift gate failed (--fail-on {args.fail_on}): {', '.join(sorted(bad))}")
        return EXIT_FAILED
    return EXIT_OK
