"""``cerkit records list|show|export``: read the local record store."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, add_store_option, write_json_line
from cerkit.errors import UsageError

if TYPE_CHECKING:
    from cerkit.ledger.base import RecordStore

NAME = "records"
HELP = "list, show or export stored records (filters: entry point, model, time range)"


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entry-point", help="only records of this entry point (module:qualname)")
    parser.add_argument("--model", help="only records of this model")
    parser.add_argument("--since", help="only records created at or after this ISO 8601 time")
    parser.add_argument("--until", help="only records created at or before this ISO 8601 time")
    parser.add_argument("--limit", type=int, help="at most this many records")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="one line per record, oldest first")
    add_store_option(listing)
    _filters(listing)
    listing.add_argument("--json", action="store_true", help="one JSON summary per line")
    show = actions.add_parser("show", help="print whole records")
    add_store_option(show)
    show.add_argument("hashes", nargs="+", metavar="HASH", help="certificate hashes or prefixes")
    show.add_argument("--json", action="store_true", help="one compact JSON record per line")
    export = actions.add_parser(
        "export", help="write records as JSON Lines (cerkit verify reads it)"
    )
    add_store_option(export)
    _filters(export)
    export.add_argument("-o", "--out", help="write here instead of stdout")


def _line(bundle: dict[str, Any]) -> str:
    snapshot = bundle.get("snapshot", {})
    execution = snapshot.get("execution") or {}
    entry = execution.get("entryPoint") or snapshot.get("prompt")
    status = execution.get("status", "-")
    output = str(snapshot.get("outputHash", ""))[7:19]
    cert = bundle["certificateHash"][:19]
    return f"{bundle['createdAt']}  {cert}  {status:<5}  {entry}  out={output}"


def _summary(bundle: dict[str, Any]) -> dict[str, Any]:
    snapshot = bundle.get("snapshot", {})
    execution = snapshot.get("execution") or {}
    return {
        "certificateHash": bundle["certificateHash"],
        "createdAt": bundle["createdAt"],
        "entryPoint": execution.get("entryPoint") or snapshot.get("prompt"),
        "model": snapshot.get("model"),
        "status": execution.get("status"),
        "inputHash": snapshot.get("inputHash"),
        "outputHash": snapshot.get("outputHash"),
    }


def _show(store: RecordStore, refs: list[str], as_json: bool) -> int:
    from cerkit.jsonio import dumps
    from cerkit.ledger.base import resolve_certificate_hash

    if not refs:
        raise UsageError("records show needs at least one certificate hash (or prefix)")
    missing = 0
    for ref in refs:
        found = resolve_certificate_hash(store, ref)
        bundle = store.get(found) if found is not None else None
        if bundle is None:
            print(f"cerkit: no record {ref}", file=sys.stderr)
            missing += 1
        elif as_json:
            write_json_line(bundle)
        else:
            print(dumps(bundle, pretty=True))
    return EXIT_FAILED if missing else EXIT_OK


def run(args: argparse.Namespace) -> int:
    from cerkit.ledger.base import RecordQuery
    from cerkit.ledger.factory import shared_record_store

    store = shared_record_store(args.store)
    if args.action == "show":
        return _show(store, args.hashes, args.json)
    query = RecordQuery(entry_point=args.entry_point, model=args.model, since=args.since,
                        until=args.until, limit=args.limit)  # fmt: skip
    records = store.query(query)
    if args.action == "export":
        from cerkit.jsonio import dumps

        out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
        try:
            for bundle in records:
                out.write(dumps(bundle) + "\n")
        finally:
            if out is not sys.stdout:
                out.close()
        return EXIT_OK
    for bundle in records:
        if args.json:
            write_json_line(_summary(bundle))
        else:
            print(_line(bundle))
    return EXIT_OK
