"""The ``cerkit`` command line: one module per verb, each thin over the library.

Every verb module defines ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args)``
returning an exit code. Exit codes (README, docs/spec.md §9): 0 ok or verified, 1
verification failed, 2 usage error, 3 operational error, 4 a drift gate had nothing to
compare. Machine output goes to stdout,
messages to stderr. Verb modules import heavy dependencies inside ``run``, so that
``cerkit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import io
import sys
from collections.abc import Sequence
from types import ModuleType

from cerkit import __version__
from cerkit.cli._common import EXIT_OPERATIONAL, EXIT_USAGE, guarded

#: Verb modules under ``cerkit.cli``, in the order ``--help`` lists them.
VERBS: tuple[str, ...] = (
    "canonical",
    "seal",
    "verify",
    "bundle",
    "redact",
    "disclose",
    "keys",
    "sign",
    "fingerprint",
    "record",
    "records",
    "demo",
    "diff",
    "explain",
    "drift",
    "bisect",
    "replay",
    "canary",
    "node",
    "ui",
    "attest",
    "log",
    "completion",
)


def _load(verb: str) -> ModuleType:
    return importlib.import_module(f"cerkit.cli.{verb}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cerkit",
        description="Certified Execution Records: seal, sign, attest, verify, explain drift.",
    )
    parser.add_argument("--version", action="version", version=f"cerkit {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND")
    for verb in VERBS:
        module = _load(verb)
        verb_parser = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(verb_parser)
        verb_parser.set_defaults(_run=module.run)
    return parser


def _tolerate_unencodable_output() -> None:
    """Text that UTF-8 cannot carry (a lone surrogate in a record, an argument or a file name
    that was not UTF-8) is printed as backslash escapes instead of raising mid-report."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cerkit`` console script."""
    _tolerate_unencodable_output()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    code: int = guarded(args._run, args)
    return code


def run() -> None:  # pragma: no cover - console script shim
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(EXIT_OPERATIONAL)
