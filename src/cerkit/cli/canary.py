"""``cerkit canary run``: re-execute golden records once and report drift against them.

For cron and CI (docs/drift.md §10). Exit codes: 0 every compared record reproduced its
golden record (or drifted below ``--fail-on``); 1 drift that fails ``--fail-on``; 4
(``NOTHING_TO_COMPARE``) no golden record found, or none could be re-run; 3 an operation
failed (a re-run, the webhook, a report file), drift found or not; 2 usage error.

Examples::

    cerkit canary run golden/ --json
    cerkit canary run golden/ --webhook https://hooks.example/T0 --metrics cerkit_canary.prom
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from cerkit.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_OPERATIONAL,
    error,
    write_json_line,
)
from cerkit.errors import NothingToCompare, OperationalError

if TYPE_CHECKING:
    from cerkit.drift.canary import CanaryCheck, CanaryReport, Runner

NAME = "canary"
HELP = "re-run golden records once and alert on drift (cron and CI)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="canary_command", metavar="ACTION", required=True)
    run_parser = sub.add_parser("run", help="re-execute each golden record once and compare")
    run_parser.add_argument(
        "golden", nargs="+", metavar="GOLDEN", help="golden record files or folders of them"
    )
    run_parser.add_argument(
        "--fail-on",
        choices=("unexplained", "nondeterministic", "any"),
        default="any",
        help="which drift exits 1 (default any: every re-run that does not reproduce)",
    )
    run_parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    run_parser.add_argument("--webhook", metavar="URL", help="POST one JSON alert per drifted key")
    run_parser.add_argument(
        "--webhook-timeout", type=float, default=10.0, metavar="S", help="per alert (default 10)"
    )
    run_parser.add_argument(
        "--metrics", metavar="FILE", help="write an OpenMetrics text file (node-exporter .prom)"
    )
    run_parser.add_argument("--junit", metavar="FILE", help="write a JUnit XML report")
    run_parser.add_argument("--markdown", metavar="FILE", help="write a Markdown summary")
    run_parser.add_argument(
        "--timeout", type=float, default=600.0, metavar="S", help="per re-run (default 600)"
    )


def _runner(timeout: float) -> Runner:
    """Re-run a record once in a fresh interpreter here, its new record kept out of stores."""
    from cerkit.drift.rerun import run_fresh

    def run(bundle: Mapping[str, Any]) -> Mapping[str, Any]:
        return run_fresh(bundle, store=False, timeout=timeout).require("the re-run")

    return run


def _skipped(check: CanaryCheck) -> None:
    error(f"cannot re-run {check.source} ({check.name}): {check.reason}")


def run(args: argparse.Namespace) -> int:
    import time

    from cerkit.drift.alerts import webhook_host
    from cerkit.drift.canary import RERUN_FAILED, run_canary
    from cerkit.drift.rerun import replay_blocker
    from cerkit.drift.sources import golden_records

    if args.webhook:  # a bad URL or a missing 'node' extra is said before anything runs
        webhook_host(args.webhook)
        import httpx  # noqa: F401
    goldens = golden_records(args.golden)
    if not goldens:
        raise NothingToCompare(f"no golden records in {', '.join(args.golden)}")
    report = run_canary(
        goldens, _runner(args.timeout), clock=time.time, blocker=replay_blocker, on_skip=_skipped
    )
    if args.json:
        write_json_line(report.to_json())
    else:
        sys.stdout.write(report.text() + "\n")
    problems = _deliver(report, args)
    problems += [
        f"re-run of {c.source} failed: {c.reason}"
        for c in report.checks
        if c.status == RERUN_FAILED
    ]
    for problem in problems:
        error(problem)
    bad = report.failing_keys(args.fail_on)
    if bad:
        error(f"canary failed (--fail-on {args.fail_on}): {len(bad)} drifted key(s)")
    if problems:
        return EXIT_OPERATIONAL
    if not report.compared:  # every record was named up front as not re-runnable
        raise NothingToCompare(f"none of the {len(goldens)} golden record(s) could be re-run")
    return EXIT_FAILED if bad else EXIT_OK


def _deliver(report: CanaryReport, args: argparse.Namespace) -> list[str]:
    """Send the alerts and write the files asked for; each failure is kept, not raised, so
    one broken destination does not hide the others."""
    from cerkit.drift.alerts import post_alerts, write_metrics
    from cerkit.drift.canary import metrics_text
    from cerkit.drift.ci_report import write_reports

    steps: list[Callable[[], object]] = []
    if args.webhook:
        alerts = report.alerts()
        steps.append(lambda: post_alerts(args.webhook, alerts, timeout=args.webhook_timeout))
    if args.metrics:
        steps.append(lambda: write_metrics(args.metrics, metrics_text(report)))
    if args.junit or args.markdown:
        rows = report.report_rows(args.fail_on)
        steps.append(
            lambda: write_reports(
                rows, junit=args.junit, markdown_file=args.markdown, name="cerkit canary"
            )
        )
    problems = []
    for step in steps:
        try:
            step()
        except OperationalError as exc:
            problems.append(str(exc))
    return problems
