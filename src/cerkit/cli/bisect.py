"""``cerkit bisect A B``: which changed package (or smallest set) flips the output, found
by bisection in throwaway overlays (docs/drift.md §5c)."""

from __future__ import annotations

import argparse
import sys

from cerkit.cli import _confirm
from cerkit.cli._common import EXIT_OK, add_store_option, write_json_line

NAME = "bisect"
HELP = "find the package upgrade that flips the output, by bisection in overlays"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="the earlier or golden record: a file or a certificate hash")
    parser.add_argument("b", help="the later record: a file or a certificate hash")
    add_store_option(parser, "the record store certificate hashes are looked up in")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    _confirm.add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from cerkit.drift.attribution import explain
    from cerkit.drift.render import confirmation_text
    from cerkit.drift.sources import resolve

    explanation = explain(resolve(args.a, args.store), resolve(args.b, args.store))
    done = _confirm.run_reruns(explanation, "bisect", args)
    result = done.pop("_result")
    if args.json:
        write_json_line(done)
        return EXIT_OK
    sys.stdout.write(confirmation_text(result) + "\n")
    print(f"verdict record {done['verdictRecord']} in {done['replayStore']}")
    return EXIT_OK
