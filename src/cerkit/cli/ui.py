"""``cerkit ui``: serve the verify portal (docs/portal.md) on loopback."""

from __future__ import annotations

import argparse

from cerkit.cli._common import EXIT_OK, add_store_option

NAME = "ui"
HELP = "serve the verify portal on loopback (verify, browse and inspect records offline)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_option(parser, "the record store the portal browses")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (127.0.0.1; loopback unless asked)"
    )
    parser.add_argument("--port", type=int, default=8765, help="port to bind, 0 for any (8765)")
    parser.add_argument(
        "--trust",
        action="append",
        default=[],
        metavar="FILE",
        help="trusted node key document or trust bundle the pages verify against (repeatable)",
    )
    parser.add_argument(
        "--producer-key",
        action="append",
        default=[],
        metavar="FILE",
        help="trusted producer public key the pages verify against (repeatable)",
    )


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from cerkit.cli.verify import trust_from_args
    from cerkit.ledger.factory import open_record_store
    from cerkit.portal.app import create_portal

    args.node = []  # the portal fetches nothing: trust comes from files only
    trust = trust_from_args(args)
    store = open_record_store(args.store)
    try:
        app = create_portal(store, trust)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        store.close()
    return EXIT_OK
