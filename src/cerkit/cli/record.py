"""``cerkit record -- CMD ARGS...``: run a program and record what ran.

The program's standard output, standard error and exit code pass through unchanged; the
sealed record goes to the store. Nothing is printed besides the program's own output unless
``--print-hash`` is given (the certificate hash then goes to standard error, last).
"""

from __future__ import annotations

import argparse
import sys

from cerkit.cli._common import add_store_option
from cerkit.errors import UsageError

NAME = "record"
HELP = "run a command and record it (argv, files, stdout/stderr digests, exit code)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--input", action="append", default=[], metavar="PATH", help="a file the command reads"
    )
    parser.add_argument(
        "--output", action="append", default=[], metavar="PATH", help="a file the command writes"
    )
    parser.add_argument("--name", help="entry point to record (default: the program name)")
    add_store_option(parser, "the record store to keep the record in")
    parser.add_argument(
        "--print-hash", action="store_true", help="print the record's certificateHash on stderr"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")


def run(args: argparse.Namespace) -> int:
    from cerkit.capture.command import run_command
    from cerkit.ledger.factory import shared_record_store

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("no command given: cerkit record [options] -- CMD ARGS...")
    store = shared_record_store(args.store)
    result = run_command(
        command, inputs=args.input, outputs=args.output, name=args.name, store=store
    )
    store.flush()
    if args.print_hash:
        print(result.bundle["certificateHash"], file=sys.stderr)
    return result.exit_code
