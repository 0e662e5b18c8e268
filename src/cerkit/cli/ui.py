"""``cerkit ui``: serve the verify portal (docs/portal.md) on loopback."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from cerkit.cli._common import EXIT_OK, add_store_option, existing_store, saved_checkpoint

if TYPE_CHECKING:
    from cerkit.portal.logview import StoreLogView

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
    parser.add_argument(
        "--log", metavar="PATH|URL", help="a node's log store: serve the log page (/log)"
    )
    parser.add_argument(
        "--log-checkpoint",
        metavar="FILE",
        help="the node's saved signed checkpoint (checkpoint.note), shown and checked on /log",
    )
    parser.add_argument(
        "--log-trust",
        metavar="FILE",
        help="the node's key document: checkpoint signatures on /log are checked with it",
    )


def _log_view(args: argparse.Namespace) -> StoreLogView | None:
    """The log page's view of the log store ``--log`` names (None without it)."""
    if not args.log:
        return None
    from cerkit.jsonio import load_file
    from cerkit.keys import KeyDocument
    from cerkit.ledger.factory import open_log_store
    from cerkit.portal.logview import StoreLogView

    note = saved_checkpoint(args.log_checkpoint) if args.log_checkpoint else None
    document = KeyDocument.from_json(load_file(args.log_trust)) if args.log_trust else None
    store = open_log_store(existing_store(args.log))
    return StoreLogView(store, checkpoint=note, document=document)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from cerkit.cli.verify import trust_from_args
    from cerkit.ledger.factory import open_record_store
    from cerkit.portal.app import create_portal

    args.node = []  # the portal fetches nothing: trust comes from files only
    trust = trust_from_args(args)
    log = _log_view(args)
    store = open_record_store(args.store)
    try:
        app = create_portal(store, trust, log=log)
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        store.close()
        if log is not None:
            log.store.close()
    return EXIT_OK
