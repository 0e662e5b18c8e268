"""``cerkit attest``: have a node countersign and log records, and keep its attestation."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from cerkit._text import counted
from cerkit.atomic import write_atomic
from cerkit.cli._common import EXIT_OK, add_store_option, node_url, progress, write_json_line
from cerkit.errors import SchemaError, UsageError
from cerkit.ledger.base import RecordStore

NAME = "attest"
HELP = "send sealed records to an attestation node and add its meta.attestation to each"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--node", metavar="URL", help="the node's base URL (default $CERKIT_NODE_URL, the config)"
    )
    parser.add_argument("--token", help="write token (default $CERKIT_TOKEN)")
    parser.add_argument("-o", "--output", help="write the attested record here (one FILE only)")
    add_store_option(parser, "where to keep the attested records")
    parser.add_argument("--no-store", action="store_true", help="do not keep them in a store")
    parser.add_argument(
        "--trust", metavar="FILE", help="saved node key document: verify each attestation first"
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per record")
    parser.add_argument("files", nargs="+", metavar="FILE", help="sealed bundle .json files")


def _store(url: str | None) -> RecordStore:
    from cerkit.ledger.factory import open_record_store

    return open_record_store(url)


def _load(path: str) -> dict[str, Any]:
    from cerkit.jsonio import load_file

    bundle = load_file(path)
    if not isinstance(bundle, dict):
        raise SchemaError(f"{path} is not a sealed bundle")
    return bundle


def run(args: argparse.Namespace) -> int:
    from cerkit.jsonio import dumps
    from cerkit.node.client import NodeClient, attest_record
    from cerkit.verify.trust import TrustStore

    args.node = node_url(args.node)
    token = args.token or os.environ.get("CERKIT_TOKEN")
    if not token:
        raise UsageError("a write token is needed: --token or $CERKIT_TOKEN")
    if args.output and len(args.files) != 1:
        raise UsageError("-o takes one FILE")
    trust = TrustStore.load(args.trust) if args.trust else None
    store = None if args.no_store else _store(args.store)
    try:
        with NodeClient(args.node, token) as client:
            for path in progress(args.files, total=len(args.files), desc="attest"):
                bundle, answer = attest_record(client, _load(path), trust=trust, source=path)
                write_atomic(args.output or path, dumps(bundle, pretty=True) + "\n")
                if store is not None:
                    store.put(bundle)
                    store.set_meta(bundle["certificateHash"], bundle["meta"])
                if args.json:
                    write_json_line({"file": args.output or path, **answer})
                else:
                    state = "attested" if answer["created"] else "already logged"
                    print(f"{state} {answer['certificateHash']} at index {answer['logIndex']}")
    finally:
        if store is not None:
            store.close()
    if not args.json:
        print(f"{counted(len(args.files), 'record')} attested by {args.node}", file=sys.stderr)
    return EXIT_OK
