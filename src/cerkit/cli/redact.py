"""``cerkit redact``: write a shared copy of a disclosable record with fields withheld.

    cerkit redact record.json --openings record.openings.json \\
        --withhold snapshot.input,snapshot.output -o shared.json

The copy verifies against the original certificateHash (``cerkit verify shared.json``) and
carries neither the withheld values nor any unsalted digest of them (docs/spec.md §7).
"""

from __future__ import annotations

import argparse

from cerkit._text import counted
from cerkit.cli._common import EXIT_OK

NAME = "redact"
HELP = "write a shared copy of a disclosable record with chosen fields withheld"


def openings_path(record: str, given: str | None) -> str:
    """``--openings`` or, by default, ``RECORD`` with ``.openings.json`` for ``.json``."""
    if given:
        return given
    return (record[: -len(".json")] if record.endswith(".json") else record) + ".openings.json"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("record", metavar="RECORD", help="the full disclosable record (.json)")
    parser.add_argument(
        "--withhold",
        required=True,
        metavar="PATHS",
        help="comma-separated paths to withhold (snapshot.input, snapshot.input.messages[1]...)",
    )
    parser.add_argument(
        "--openings", metavar="FILE", help="the record's openings (default RECORD.openings.json)"
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the shared copy")


def run(args: argparse.Namespace) -> int:
    from cerkit.atomic import write_atomic
    from cerkit.disclosure import redact
    from cerkit.jsonio import dumps, load_file

    bundle = load_file(args.record)
    openings = load_file(openings_path(args.record, args.openings))
    paths = [p.strip() for p in args.withhold.split(",") if p.strip()]
    shared = redact(bundle, openings, paths)
    write_atomic(args.output, dumps(shared, pretty=True) + "\n")
    withheld = shared["meta"]["disclosure"]["withheld"]
    print(
        f"wrote {args.output}: {counted(len(withheld), 'field')} withheld ({', '.join(withheld)})"
    )
    return EXIT_OK
