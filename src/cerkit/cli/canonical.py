"""``cerkit canonical``: print the canonical bytes of a JSON document."""

from __future__ import annotations

import argparse
import sys

from cerkit.canonical import DEFAULT_PROFILE, PROFILES, canonicalize
from cerkit.cli._common import EXIT_OK
from cerkit.jsonio import load_file

NAME = "canonical"
HELP = "write the canonical JSON bytes of a document to stdout (no trailing newline)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--profile", choices=PROFILES, default=DEFAULT_PROFILE)
    parser.add_argument("file", nargs="?", default="-", help="JSON file, or - for stdin")


def run(args: argparse.Namespace) -> int:
    data = canonicalize(load_file(args.file), args.profile)
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return EXIT_OK
