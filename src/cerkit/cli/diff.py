"""``cerkit diff``: compare two records, give a verdict and rank the candidate causes."""

from __future__ import annotations

import argparse
import sys

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, add_store_option, error, write_json_line

NAME = "diff"
HELP = (
    "compare two records (files or certificate hashes) and explain what changed; "
    "exit 1 when a record fails integrity"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="the earlier or golden record: a file or a certificate hash")
    parser.add_argument("b", help="the later record: a file or a certificate hash")
    add_store_option(parser, "the record store certificate hashes are looked up in")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--brief", action="store_true", help="summary and causes only")


def run(args: argparse.Namespace) -> int:
    from cerkit.drift.attribution import Verdict, explain
    from cerkit.drift.render import explanation_text
    from cerkit.drift.sources import resolve

    explanation = explain(resolve(args.a, args.store), resolve(args.b, args.store))
    if args.json:
        write_json_line(explanation.to_json())
    else:
        sys.stdout.write(explanation_text(explanation, details=not args.brief) + "\n")
    if explanation.verdict is Verdict.INTEGRITY_FAILED:  # a record was changed after sealing
        error(f"INTEGRITY_FAILED: {explanation.summary}")
        return EXIT_FAILED
    return EXIT_OK
