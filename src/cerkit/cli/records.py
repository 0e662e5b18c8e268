"""``cerkit records list|show|export``: read the local record store."""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from cerkit.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    add_store_option,
    error,
    existing_store,
    write_json_line,
)
from cerkit.errors import OperationalError, Reason, UsageError

if TYPE_CHECKING:
    from cerkit.ledger.base import RecordStore

NAME = "records"
HELP = "list, show or export stored records (filters: entry point, model, time range)"


#: Largest ``--limit`` accepted: a SQLite or PostgreSQL LIMIT is a 64-bit integer, and no
#: store holds more records than this.
MAX_LIMIT: Final[int] = 2**62
_HASH_REF: Final[re.Pattern[str]] = re.compile(r"(?:sha256:)?[0-9a-f]{1,64}")


def iso_time(text: str) -> str:
    """An argparse type: an ISO 8601 date or time, as createdAt writes it (UTC, ``...Z``).

    A time without a zone is UTC. Normalizing makes the store's text comparison of
    ``createdAt`` exact: ``--since 2026-03-01T02:00+02:00`` is ``2026-03-01T00:00:00.000Z``.
    """
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 date or time (e.g. 2026-03-01 or 2026-03-01T12:00Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{value.microsecond // 1000:03d}Z"
    )


def record_limit(text: str) -> int:
    """An argparse type: a count of records, 0 to :data:`MAX_LIMIT`."""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or int(text) > MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"{text!r} is not a count from 0 to {MAX_LIMIT}")
    return int(text)


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--entry-point",
        help="only records of this entry point (module:qualname, or path/to/app.py:qualname "
        "for a function defined in a script)",
    )
    parser.add_argument("--model", help="only records of this model")
    parser.add_argument(
        "--since", type=iso_time, help="only records created at or after this ISO 8601 time"
    )
    parser.add_argument(
        "--until", type=iso_time, help="only records created at or before this ISO 8601 time"
    )
    parser.add_argument("--limit", type=record_limit, help="at most this many records")


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
    export.add_argument("--json", action="store_true", help="accepted: export always writes JSON")


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
        if _HASH_REF.fullmatch(ref) is None:
            raise UsageError(f"{ref!r} is not a certificate hash or a prefix of one")
        found = resolve_certificate_hash(store, ref)
        bundle = store.get(found) if found is not None else None
        if bundle is None:
            error(f"{Reason.NOT_FOUND}: no record {ref}")
            missing += 1
        elif as_json:
            write_json_line(bundle)
        else:
            print(dumps(bundle, pretty=True))
    return EXIT_FAILED if missing else EXIT_OK


def _export(records: Iterable[dict[str, Any]], path: str | None) -> int:
    from cerkit.jsonio import dumps

    if path is None:
        for bundle in records:
            sys.stdout.write(dumps(bundle) + "\n")
        return EXIT_OK
    try:
        with open(path, "w", encoding="utf-8") as out:
            for bundle in records:
                out.write(dumps(bundle) + "\n")
    except OSError as exc:  # a directory, a full disk, no permission
        raise OperationalError(f"cannot write {path}: {exc.strerror or exc}") from None
    return EXIT_OK


def run(args: argparse.Namespace) -> int:
    from cerkit.ledger.base import RecordQuery
    from cerkit.ledger.factory import shared_record_store

    store = shared_record_store(existing_store(args.store))
    if args.action == "show":
        return _show(store, args.hashes, args.json)
    query = RecordQuery(entry_point=args.entry_point, model=args.model, since=args.since,
                        until=args.until, limit=args.limit)  # fmt: skip
    records = store.query(query)
    if args.action == "export":
        return _export(records, args.out)
    listed = 0
    for bundle in records:
        listed += 1
        if args.json:
            write_json_line(_summary(bundle))
        else:
            print(_line(bundle))
    if not listed:
        _say_nothing_matched(args)
    return EXIT_OK


def _say_nothing_matched(args: argparse.Namespace) -> None:
    """One stderr line when the filters left nothing, naming them (and, for an entry point
    written as a module that is really a script, the name it is recorded under)."""
    given = {
        "entry point": args.entry_point,
        "model": args.model,
        "since": args.since,
        "until": args.until,
    }
    filters = ", ".join(f"{name} {value}" for name, value in given.items() if value)
    error(f"no records match ({filters})" if filters else "the store holds no records")
    module, _, qualname = (args.entry_point or "").rpartition(":")
    script = module.replace(".", "/") + ".py"
    if module and not module.endswith(".py") and os.path.isfile(script):
        error(f"a script is recorded by its file: try --entry-point {script}:{qualname}")
