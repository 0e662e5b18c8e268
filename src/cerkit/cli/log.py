"""``cerkit log audit``: check a node's whole log against its signed checkpoints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cerkit._text import counted
from cerkit.cli._common import EXIT_FAILED, EXIT_OK, node_url, saved_checkpoint, write_json_line

NAME = "log"
HELP = "audit an attestation node's transparency log (log audit)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="log_command", metavar="ACTION", required=True)
    audit = sub.add_parser(
        "audit",
        help="download every entry, rebuild the tree, check checkpoints, receipts and"
        " every stored record against its leaf",
    )
    audit.add_argument(
        "--node", metavar="URL", help="the node's base URL (default $CERKIT_NODE_URL, the config)"
    )
    audit.add_argument(
        "--trust", metavar="FILE", help="saved key document of the node (default: fetch it)"
    )
    audit.add_argument(
        "--checkpoint", metavar="SAVED", help="a checkpoint saved earlier: prove consistency"
    )
    audit.add_argument(
        "--save-checkpoint", metavar="FILE", help="save the verified checkpoint for next time"
    )
    audit.add_argument(
        "--skip-receipts", action="store_true", help="do not check each entry's receipt"
    )
    audit.add_argument(
        "--skip-bundles",
        action="store_true",
        help="do not fetch each stored record to check it against its leaf",
    )
    audit.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    from cerkit.jsonio import load_file
    from cerkit.keys import KeyDocument
    from cerkit.node.audit import audit_node
    from cerkit.node.client import NodeClient

    saved = saved_checkpoint(args.checkpoint) if args.checkpoint else None
    with NodeClient(node_url(args.node)) as client:
        document = (
            KeyDocument.from_json(load_file(args.trust)) if args.trust else client.key_document()
        )
        result = audit_node(
            client,
            document,
            saved_note=saved,
            check_receipts=not args.skip_receipts,
            check_bundles=not args.skip_bundles,
        )
    if args.json:
        write_json_line(result.to_dict())
    else:
        cp = result.checkpoint
        state = "OK" if result.ok else "FAILED"
        print(f"{state} log {cp.origin}: {counted(result.entries, 'entry')}, tree size {cp.size}")
        for problem in result.problems:
            where = f" entry {problem.index}" if problem.index is not None else ""
            print(f"    {problem.reason}{where}: {problem.message}")
    if args.save_checkpoint and result.ok:
        Path(args.save_checkpoint).write_text(result.note, encoding="utf-8")
        print(f"checkpoint of size {result.checkpoint.size} saved", file=sys.stderr)
    return EXIT_OK if result.ok else EXIT_FAILED
