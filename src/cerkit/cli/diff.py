"""``cerkit diff``: compare two records, give a verdict and rank the candidate causes."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, add_store_option, error, write_json_line
from cerkit.errors import SchemaError, UsageError

NAME = "diff"
HELP = (
    "compare two records (files or certificate hashes), or two workflow runs (project "
    "bundles or step records), and explain what changed; exit 1 when a record fails integrity"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="the earlier or golden record: a file or a certificate hash")
    parser.add_argument("b", help="the later record: a file or a certificate hash")
    add_store_option(parser, "the record store certificate hashes are looked up in")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--brief", action="store_true", help="summary and causes only")


def _run_steps(ref: str) -> list[Any] | None:
    """The steps of a workflow run in ``ref`` (a project bundle, or one run's step records),
    or ``None`` when ``ref`` is a single record or a certificate hash."""
    from pathlib import Path

    from cerkit.drift.sources import read_bundles
    from cerkit.drift.steps import bundle_steps
    from cerkit.jsonio import load_file
    from cerkit.project import order_steps
    from cerkit.verify.project import is_project_bundle, verify_project_bundle

    if ref == "-" or not Path(ref).is_file():
        return None
    if not ref.endswith(".jsonl"):
        document = load_file(ref)
        if not is_project_bundle(document):
            return None
        report = verify_project_bundle(document, source=ref)
        if not report.ok:
            reasons = ", ".join(sorted({str(c.reason) for c in report.failures}))
            raise SchemaError(f"{ref}: the project bundle fails verification: {reasons}")
        return bundle_steps(document)
    documents = read_bundles(ref)
    runs = order_steps(documents)
    if len(documents) < 2 or not runs or sum(map(len, runs)) != len(documents):
        return None
    if len(runs) != 1:
        raise UsageError(f"{ref} holds {len(runs)} workflow runs; give one run's records")
    return runs[0]


def _diff_runs(a: list[Any], b: list[Any], args: argparse.Namespace) -> int:
    from cerkit.drift.attribution import Verdict
    from cerkit.drift.steps import diff_workflows

    result = diff_workflows(a, b)
    if args.json:
        write_json_line(result.to_json())
    else:
        lines = [result.summary]
        for pair in result.pairs:
            verdict = pair.to_json()["verdict"]
            lines.append(f"  step {pair.position} {pair.label}: {verdict}")
        first = result.first_changed
        if first is not None and first.explanation is not None and not args.brief:
            for cause in first.explanation.causes[:5]:
                lines.append(f"    cause {cause.score} {cause.category}: {cause.subject}")
        sys.stdout.write("\n".join(lines) + "\n")
    broken = [p for p in result.pairs if p.explanation is not None]
    if any(p.explanation.verdict is Verdict.INTEGRITY_FAILED for p in broken if p.explanation):
        error("INTEGRITY_FAILED: a step record fails integrity")
        return EXIT_FAILED
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from cerkit.drift.attribution import Verdict, explain
    from cerkit.drift.render import explanation_text
    from cerkit.drift.sources import resolve

    steps_a, steps_b = _run_steps(args.a), _run_steps(args.b)
    if (steps_a is None) != (steps_b is None):
        raise UsageError("compare two workflow runs, or two records, not one of each")
    if steps_a is not None and steps_b is not None:
        return _diff_runs(steps_a, steps_b, args)
    explanation = explain(resolve(args.a, args.store), resolve(args.b, args.store))
    if args.json:
        write_json_line(explanation.to_json())
    else:
        sys.stdout.write(explanation_text(explanation, details=not args.brief) + "\n")
    if explanation.verdict is Verdict.INTEGRITY_FAILED:  # a record was changed after sealing
        error(f"INTEGRITY_FAILED: {explanation.summary}")
        return EXIT_FAILED
    return EXIT_OK
