"""``cerkit seal``: seal ``createSnapshot`` arguments into CER bundles."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, error, write_json_line
from cerkit.errors import CerkitError, SchemaError, UsageError
from cerkit.jsonio import dumps, iter_jsonl, load_file
from cerkit.seal import seal_args

NAME = "seal"
HELP = (
    "seal createSnapshot arguments (a JSON object, or one per line with --jsonl); "
    "an object's own createdAt sets the bundle's createdAt"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--created-at", metavar="ISO", help="createdAt of the bundle")
    parser.add_argument(
        "--jsonl", action="store_true", help="one object per line (implied by .jsonl)"
    )
    parser.add_argument(
        "--disclosable",
        metavar="OPENINGS",
        help="seal with salted commitments to prompt, input and output (docs/spec.md §7); "
        "the openings (salts) are written to OPENINGS, never into the record",
    )
    parser.add_argument("file", nargs="?", default="-", help="JSON file, or - for stdin")


def _seal_line(args: Any, created_at: str | None) -> dict[str, Any]:
    """Seal one object; its own ``createdAt`` (not a snapshot field) beats ``--created-at``."""
    if not isinstance(args, dict):
        raise SchemaError("each line must be a JSON object")
    if "createdAt" in args:
        args = dict(args)
        created_at = args.pop("createdAt")
        if not isinstance(created_at, str) or not created_at:
            raise SchemaError("createdAt must be a non-empty string")
    return seal_args(args, created_at=created_at)


def run(args: argparse.Namespace) -> int:
    if args.disclosable and (args.jsonl or str(args.file).endswith(".jsonl")):
        raise UsageError("--disclosable seals one record at a time")
    if args.jsonl or str(args.file).endswith(".jsonl"):
        failed = 0
        for number, item in iter_jsonl(args.file):
            try:
                if isinstance(item, CerkitError):
                    raise item
                write_json_line(_seal_line(item, args.created_at))
            except CerkitError as exc:
                error(f"{args.file}:{number}: {exc}")
                failed += 1
        return EXIT_FAILED if failed else EXIT_OK
    document = load_file(args.file)
    if not isinstance(document, dict):
        raise SchemaError("the document must be a JSON object of createSnapshot arguments")
    if args.disclosable:
        return _seal_disclosable(document, args)
    sys.stdout.write(dumps(_seal_line(document, args.created_at), pretty=True) + "\n")
    return EXIT_OK


def _seal_disclosable(document: dict[str, Any], args: argparse.Namespace) -> int:
    from cerkit.atomic import write_atomic
    from cerkit.disclosure import seal_disclosable

    created_at = document.pop("createdAt", args.created_at)
    bundle, openings = seal_disclosable(document, created_at=created_at)
    write_atomic(args.disclosable, dumps(openings, pretty=True) + "\n", mode=0o600)
    sys.stdout.write(dumps(bundle, pretty=True) + "\n")
    return EXIT_OK
