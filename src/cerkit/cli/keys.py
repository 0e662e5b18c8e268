"""``cerkit keys``: generate, list, rotate, revoke and export Ed25519 keys in a key directory.

Examples::

    cerkit keys generate --node-id my-node --origin example.com/log
    cerkit keys rotate
    cerkit keys revoke 1a2b3c4d5e6f7a8b --reason "laptop stolen"
    cerkit keys export --format nexart -o nexart-node.json
"""

from __future__ import annotations

import argparse
import sys

from cerkit.attestation import parse_time
from cerkit.cli._common import EXIT_OK, write_json_line
from cerkit.errors import OperationalError, UsageError
from cerkit.jsonio import dumps
from cerkit.keyring import KeyRing, key_dir
from cerkit.keys import KeyEntry

NAME = "keys"
HELP = "manage Ed25519 keys: generate, list, rotate, revoke, export (key dir: --dir)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dir",
        metavar="DIR",
        help="key directory (default $CERKIT_KEY_DIR, the config's store.key_dir, or .cerkit/keys)",
    )
    sub = parser.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    gen = sub.add_parser("generate", help="create the key directory and its first active key")
    gen.add_argument("--node-id", default="cerkit-node", help="the node or producer id")
    gen.add_argument("--origin", default="", help="log origin for checkpoints (default node id)")
    gen.add_argument("--json", action="store_true")
    listing = sub.add_parser("list", help="list keys with their state")
    listing.add_argument("--json", action="store_true")
    rot = sub.add_parser("rotate", help="retire the active key and create a new active one")
    rot.add_argument("--json", action="store_true")
    rev = sub.add_parser("revoke", help="revoke a key from a time on (default now)")
    rev.add_argument("kid")
    rev.add_argument("--reason", required=True, help="why (published in the key document)")
    rev.add_argument("--at", metavar="ISO", help="revocation time (ISO 8601 with zone)")
    rev.add_argument("--json", action="store_true")
    exp = sub.add_parser("export", help="write the public key document")
    exp.add_argument("--format", choices=("cerkit", "nexart"), default="cerkit")
    exp.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    for action in (gen, listing, rot, rev, exp):  # ``keys generate --dir d`` as well
        action.add_argument("--dir", metavar="DIR", default=argparse.SUPPRESS, help="key directory")


def _entry_dict(ring: KeyRing, entry: KeyEntry) -> dict[str, object]:
    return {
        "kid": entry.kid,
        "status": str(entry.state),
        "createdAt": entry.created_at,
        "retiredAt": entry.retired_at or None,
        "revokedAt": entry.revoked_at or None,
        "reason": entry.reason or None,
        "privateKey": str(ring.private_key_path(entry.kid)),
    }


def run(args: argparse.Namespace) -> int:
    ring = KeyRing(key_dir(args.dir))
    command = args.keys_command
    if command == "export":
        document = ring.load()
        value = document.to_nexart_wellknown() if args.format == "nexart" else document.to_json()
        text = dumps(value, pretty=True) + "\n"
        if args.output:
            try:
                with open(args.output, "w", encoding="utf-8") as handle:
                    handle.write(text)
            except OSError as exc:  # a directory, a full disk, no permission
                raise OperationalError(f"cannot write {args.output}: {exc.strerror}") from None
        else:
            sys.stdout.write(text)
        return EXIT_OK
    if command == "generate":
        entries = [ring.generate(args.node_id, args.origin)]
    elif command == "rotate":
        old, new = ring.rotate()
        entries = [e for e in (old, new) if e is not None]
        entries = [ring.load().find(e.kid) or e for e in entries]
    elif command == "revoke":
        if args.at is not None and parse_time(args.at) is None:
            raise UsageError("--at must be ISO 8601 with a zone, e.g. 2026-03-01T00:00:00Z")
        entries = [ring.revoke(args.kid, args.reason, args.at)]
    else:
        entries = list(ring.load().keys)
    rows = [_entry_dict(ring, e) for e in entries]
    if args.json:
        for row in rows:
            write_json_line(row)
        return EXIT_OK
    for row in rows:
        when = row["revokedAt"] or row["retiredAt"] or row["createdAt"]
        extra = f"  ({row['reason']})" if row["reason"] else ""
        print(f"{row['kid']}  {row['status']:<8} {when}  {row['privateKey']}{extra}")
    return EXIT_OK
