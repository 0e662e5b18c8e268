"""``cerkit bundle create``: a NexArt project bundle from stored workflow records."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cerkit._text import counted
from cerkit.cli._common import EXIT_OK, error
from cerkit.errors import CerkitError, SchemaError, UsageError
from cerkit.jsonio import dumps, iter_jsonl, load_file

NAME = "bundle"
HELP = (
    "create a cer.project.bundle.v1 from workflow step records (a .jsonl batch or JSON "
    "files); steps are ordered by their prevStepHash chain"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="build one project bundle from one run's steps")
    create.add_argument("files", nargs="+", help="records: .jsonl batches or JSON files")
    create.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    create.add_argument("--title", help="projectTitle (default: the workflowId)")
    create.add_argument(
        "--run", metavar="RUN_ID", help="the run to bundle when the records hold several"
    )


def _records(paths: list[str]) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in paths:
        items = iter_jsonl(path) if path.endswith(".jsonl") else [(1, load_file(path))]
        for number, item in items:
            if isinstance(item, CerkitError):
                raise SchemaError(f"{path}:{number}: {item.message}")
            if not isinstance(item, dict):
                raise SchemaError(f"{path}:{number}: a record must be a JSON object")
            records.append(item)
    return records


def _pick(runs: list[list[Any]], run: str | None) -> list[Any]:
    if run is not None:
        chosen = [steps for steps in runs if steps[0]["snapshot"].get("runId") == run]
        if not chosen:
            raise UsageError(f"no steps of run {run!r} in the records")
        return chosen[0]
    if len(runs) > 1:
        names = ", ".join(str(steps[0]["snapshot"].get("runId")) for steps in runs)
        raise UsageError(f"the records hold {len(runs)} runs ({names}): choose one with --run")
    return runs[0]


def run(args: argparse.Namespace) -> int:
    from cerkit.project import order_steps, project_bundle

    runs = order_steps(_records(args.files))
    if not runs:
        raise SchemaError("no record has workflow fields (workflowId, runId, stepIndex)")
    steps = _pick(runs, args.run)
    first = steps[0]["snapshot"]
    bundle = project_bundle(steps, title=args.title or str(first.get("workflowId")))
    text = dumps(bundle, pretty=True) + "\n"
    if args.output:
        from cerkit.atomic import write_atomic

        write_atomic(args.output, text)
        project_hash = bundle["integrity"]["projectHash"]
        error(f"wrote {args.output}: {counted(len(steps), 'step')}, {project_hash}")
    else:
        sys.stdout.write(text)
    return EXIT_OK
