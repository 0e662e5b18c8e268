"""``cerkit replay``: re-execute a recorded Python call and check it is deterministic."""

from __future__ import annotations

import argparse

from cerkit.cli._common import EXIT_OK, add_store_option, write_json_line

NAME = "replay"
HELP = "re-run a recorded Python entry point N times; label it deterministic or not"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("record", metavar="RECORD", help="a record file or certificate hash")
    parser.add_argument("-n", type=int, default=3, metavar="N", help="runs (default 3)")
    add_store_option(parser, "the record store to read and write")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    from cerkit.drift.render import replay_text
    from cerkit.drift.rerun import replay
    from cerkit.drift.sources import resolve
    from cerkit.errors import UsageError

    if args.n < 1:
        raise UsageError("-n must be at least 1")
    result = replay(resolve(args.record, args.store), args.n, store_url=args.store)
    if args.json:
        write_json_line(result.to_json())
    else:
        print(replay_text(result), flush=True)
    return EXIT_OK
