"""``cerkit node``: run the attestation node and manage its bearer tokens."""

from __future__ import annotations

import argparse
import sys

from cerkit.cli._common import EXIT_OK, add_store_option, write_json_line

NAME = "node"
HELP = "run the attestation node (serve) and manage its write tokens (token create|list|revoke)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="node_command", metavar="ACTION", required=True)
    serve = sub.add_parser("serve", help="serve the node over HTTP (uvicorn)")
    add_store_option(serve, "the node's log, tokens and records")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8080, help="port to bind, 0 for any (8080)")
    serve.add_argument(
        "--key-dir", help="key directory of cerkit keys (default .cerkit/keys when present)"
    )
    serve.add_argument("--key", help="one private key file (default .cerkit/node.key)")
    serve.add_argument("--key-document", help="saved key document listing retired keys too")
    serve.add_argument("--node-id", help="node id when no key document is given")
    serve.add_argument("--port-file", help="write the bound port to this file once listening")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="node processes sharing the port and the store (1; one per core, docs/node.md)",
    )
    serve.add_argument(
        "--checkpoint-file",
        metavar="FILE",
        help="where the node keeps its last signed checkpoint"
        " (default: checkpoint.note in the key directory, or KEY.checkpoint)",
    )
    token = sub.add_parser("token", help="create, list or revoke write tokens")
    actions = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = actions.add_parser("create", help="create a token; its secret is printed once")
    create.add_argument("--name", default="default", help="a label for the token")
    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    revoke = actions.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("token_id", metavar="ID")
    for action in (create, listing, revoke):
        add_store_option(action, "the node's log, tokens and records")
        action.add_argument("--json", action="store_true", help="JSON output")


def run(args: argparse.Namespace) -> int:
    if args.node_command == "serve":
        from cerkit.node.server import serve

        return serve(
            store=args.store,
            host=args.host,
            port=args.port,
            key=args.key,
            key_dir=args.key_dir,
            key_document=args.key_document,
            node_id=args.node_id,
            port_file=args.port_file,
            checkpoint_file=args.checkpoint_file,
            workers=args.workers,
        )
    return _token(args)


def _token(args: argparse.Namespace) -> int:
    from cerkit.ledger.factory import open_token_store
    from cerkit.node.tokens import create_token, revoke_token
    from cerkit.seal import iso_now

    store = open_token_store(args.store)
    try:
        if args.token_command == "create":
            new = create_token(store, args.name, iso_now())
            if args.json:
                write_json_line({"id": new.token.token_id, "name": args.name, "token": new.secret})
            else:
                print(new.secret)
                print(f"token {new.token.token_id} created; it is shown only once", file=sys.stderr)
        elif args.token_command == "list":
            tokens = store.tokens()
            for t in tokens:
                row = {
                    "id": t.token_id,
                    "name": t.name,
                    "createdAt": t.created_at,
                    "revokedAt": t.revoked_at,
                }
                if args.json:
                    write_json_line(row)
                else:
                    state = f"revoked {t.revoked_at}" if t.revoked_at else "active"
                    print(f"{t.token_id}  {t.name:<16} {t.created_at}  {state}")
        else:
            revoke_token(store, args.token_id, iso_now())
            print(f"token {args.token_id} revoked", file=sys.stderr)
    finally:
        store.close()
    return EXIT_OK
