"""``cerkit disclose``: open withheld fields of a shared copy again.

cerkit disclose shared.json --record record.json --path snapshot.output -o shared2.json
"""

from __future__ import annotations

import argparse

from cerkit._text import counted
from cerkit.cli._common import EXIT_OK
from cerkit.cli.redact import openings_path

NAME = "disclose"
HELP = "add chosen openings (values and salts) back to a redacted copy"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shared", metavar="SHARED", help="the redacted copy")
    parser.add_argument("--record", required=True, metavar="FILE", help="the full record")
    parser.add_argument(
        "--openings", metavar="FILE", help="the record's openings (default RECORD.openings.json)"
    )
    parser.add_argument(
        "--path", required=True, metavar="PATHS", help="comma-separated withheld paths to open"
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the new copy")


def run(args: argparse.Namespace) -> int:
    from cerkit.atomic import write_atomic
    from cerkit.disclosure import disclose
    from cerkit.jsonio import dumps, load_file

    shared = load_file(args.shared)
    original = load_file(args.record)
    cert = original.get("certificateHash") if isinstance(original, dict) else None
    openings = load_file(openings_path(args.record, args.openings, cert))
    paths = [p.strip() for p in args.path.split(",") if p.strip()]
    out = disclose(shared, original, openings, paths)
    write_atomic(args.output, dumps(out, pretty=True) + "\n")
    left = out["meta"]["disclosure"]["withheld"]
    print(f"wrote {args.output}: {counted(len(left), 'field')} still withheld")
    return EXIT_OK
