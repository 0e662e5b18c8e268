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
from cerkit.config import TEXT_MODES
from cerkit.errors import CerkitError, NothingToCompare, OperationalError, UsageError

NAME = "drift"
HELP = "find and explain output changes over time for records with the same inputs"


#: How the gate exits (also in docs/drift.md §6 and docs/spec.md §9.4).
EPILOG: Final[str] = (
    "exit codes: 0 ok (the gate passed); 1 a verdict at the --fail-on level was found; "
    "2 usage error; 3 operational error; 4 NOTHING_TO_COMPARE: with --fail-on, the store "
    "or files hold no records, the baseline is empty or unreadable, or no record shares an "
    "execution key with the baseline (--allow-empty lets an empty store or baseline, or no "
    "key in common, pass; never an unreadable baseline or a missing store)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.add_argument("files", nargs="*", metavar="FILE", help="bundle files (.json/.jsonl)")
    add_store_option(parser, "the record store to read (the default source)")
    parser.add_argument("--key", metavar="K", help="only the execution key K (a prefix works)")
    parser.add_argument("--since", metavar="T", help="only records created at or after T (ISO)")
    parser.add_argument("--baseline", metavar="DIR", help="golden records to compare against")
    parser.add_argument(
        "--fail-on",
        choices=("unexplained", "nondeterministic", "any"),
        help="exit 1 on unexplained drift; nondeterministic: also on NONDETERMINISTIC; "
        "any: on any drift. Exit 4 when there is nothing to compare",
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="with --fail-on: pass when there is nothing to compare (default: exit 4)",
    )
    tolerance = parser.add_argument_group(
        "tolerances (override [tool.cerkit.drift] for every key; docs/drift.md §4b)"
    )
    tolerance.add_argument("--rtol", type=float, metavar="R", help="relative tolerance")
    tolerance.add_argument("--atol", type=float, metavar="A", help="absolute tolerance")
    tolerance.add_argument(
        "--text", choices=TEXT_MODES, help="compare text outputs after this normalization"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    parser.add_argument(
        "--junit", metavar="FILE", help="write a JUnit XML report (a test case per key)"
    )
    parser.add_argument(
        "--markdown", metavar="FILE", help="write a Markdown summary (for a pull-request comment)"
    )
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


def _golden(args: argparse.Namespace) -> list[dict[str, Any]]:
    """The baseline's records; under ``--fail-on`` one that cannot be read fails closed."""
    from cerkit.drift.sources import baseline_bundles

    if not args.baseline:
        return []
    try:
        return baseline_bundles(args.baseline)
    except CerkitError as exc:
        if args.fail_on:
            raise NothingToCompare(f"unreadable baseline: {exc.message}") from None
        raise


def _source(args: argparse.Namespace, key: str | None) -> tuple[Any, str]:
    """The records to read and how a message names them."""
    from cerkit.drift.sources import rows_from_files, rows_from_store
    from cerkit.ledger._sql import redact_url
    from cerkit.ledger.factory import store_url

    if args.files:
        return rows_from_files(args.files, args.since), f"the {len(args.files)} file(s) given"
    try:
        spec = existing_store(args.store)
    except OperationalError as exc:
        if args.fail_on:
            raise NothingToCompare(f"empty store: {exc.message}") from None
        raise
    source = rows_from_store(spec, args.since, key=key, watch=_watch)
    return source, f"the store {redact_url(store_url(spec))}"


def _drift_config(args: argparse.Namespace) -> Any:
    """The project's drift settings, the flags given overriding them for every key."""
    import dataclasses

    from cerkit.config import load

    given = {name: getattr(args, name) for name in ("rtol", "atol", "text")}
    drift = load(flags={f"drift.{k}": v for k, v in given.items()}).drift
    given = {k: v for k, v in given.items() if v is not None}
    if given:  # "flags > file": also over each [[tool.cerkit.drift.tolerance]] entry
        entries = tuple(dataclasses.replace(t, **given) for t in drift.tolerances)
        drift = dataclasses.replace(drift, tolerances=entries)
    return drift


def _write_files(args: argparse.Namespace, timeline: Any, served: Any) -> None:
    """``--html``, ``--junit`` and ``--markdown``."""
    from cerkit.drift.ci_report import write_reports, write_text
    from cerkit.drift.gate import report_rows
    from cerkit.drift.html import render
    from cerkit.drift.served import served_html

    written = []
    if args.html:
        write_text(args.html, render(timeline, sections=(served_html(served),)))
        written.append(args.html)
    if args.junit or args.markdown:
        gate = f"--fail-on {args.fail_on}" if args.fail_on else "no --fail-on"
        written += write_reports(
            report_rows(timeline, args.fail_on),
            junit=args.junit,
            markdown_file=args.markdown,
            properties={"cerkit.failOn": args.fail_on or ""},
            note=f"{timeline.records} records, gate: {gate}",
        )
    for path in written:
        print(f"cerkit: wrote {path}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from cerkit.drift.gate import failing, require_comparison
    from cerkit.drift.policy import apply, replay_evidence
    from cerkit.drift.render import timeline_text
    from cerkit.drift.served import served_history, served_text
    from cerkit.drift.timeline import analyze

    if args.files and args.store:
        raise UsageError("give record files or --store, not both")
    config = _drift_config(args)
    golden = _golden(args)
    key = None
    if args.key:
        key = args.key if args.key.startswith("sha256:") else "sha256:" + args.key
    source, where = _source(args, key)
    try:
        rows = source.rows
        if key:
            rows = [r for r in rows if r[1].startswith(key)]
        if args.fail_on and not args.allow_empty:
            replays = len(source.replays)
            require_comparison(rows, golden, source=where, baseline=args.baseline, replays=replays)
        timeline = analyze(rows, source.load, baseline=golden, watch=_explaining)
        timeline = apply(timeline, config, replay_evidence(source.replays, source.load))
        served = served_history(rows, source.load)  # which models answered provider calls
        steps = _workflow_steps(rows, source.load)
    finally:
        source.close()
    confirmed = _confirm_points(timeline, args) if args.confirm else []
    _write_files(args, timeline, served)
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
        error(f"drift gate failed (--fail-on {args.fail_on}): {', '.join(bad)}")
        return EXIT_FAILED
    return EXIT_OK
