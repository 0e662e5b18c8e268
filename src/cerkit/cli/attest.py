"""``cerkit attest``: have a node countersign and log records, and keep its attestation."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cerkit.cli._common import EXIT_OK, add_store_option, progress, write_json_line
from cerkit.errors import InvalidRecordError, Reason, SchemaError, UsageError
from cerkit.ledger.base import RecordStore

if TYPE_CHECKING:
    from cerkit.node.client import NodeClient
    from cerkit.verify.trust import TrustStore

NAME = "attest"
HELP = "send sealed records to an attestation node and add its meta.attestation to each"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--node", required=True, metavar="URL", help="the node's base URL")
    parser.add_argument("--token", help="write token (default $CERKIT_TOKEN)")
    parser.add_argument("-o", "--output", help="write the attested record here (one FILE only)")
    add_store_option(parser, "where to keep the attested records")
    parser.add_argument("--no-store", action="store_true", help="do not keep them in a store")
    parser.add_argument(
        "--trust", metavar="FILE", help="saved node key document: verify each attestation first"
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per record")
    parser.add_argument("files", nargs="+", metavar="FILE", help="sealed bundle .json files")


def _write(path: str, bundle: dict[str, Any]) -> None:
    """Replace ``path`` atomically, so a crash never leaves half a record."""
    from cerkit.jsonio import dumps

    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(dumps(bundle, pretty=True) + "\n", encoding="utf-8")
    tmp.replace(target)


def _store(url: str | None) -> RecordStore:
    from cerkit.ledger.factory import open_record_store

    return open_record_store(url)


def _attested(
    client: NodeClient, path: str, trust: TrustStore | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The record in ``path`` with the node's ``meta.attestation`` (checked before use), and
    the node's answer."""
    from cerkit.jsonio import load_file
    from cerkit.verify import verify_bundle

    bundle = load_file(path)
    if not isinstance(bundle, dict):
        raise SchemaError(f"{path} is not a sealed bundle")
    answer = client.attest(bundle)
    if answer.get("certificateHash") != bundle.get("certificateHash"):
        raise InvalidRecordError("the node answered for another record", Reason.RECEIPT_MISMATCH)
    bundle["meta"] = {**(bundle.get("meta") or {}), "attestation": answer["attestation"]}
    # Refuse an attestation that does not verify offline. Without --trust the signatures
    # cannot be checked, but the rest can: the receipt's shape and binding to this record,
    # and the inclusion proof's arithmetic up to the checkpoint's root.
    report = verify_bundle(bundle, source=path, trust=trust)
    if report.failures:
        first = report.failures[0]
        reason = Reason(first.reason) if first.reason in Reason.__members__ else None
        message = f"{path}: the node's answer fails {first.layer}/{first.name}: {first.message}"
        raise InvalidRecordError(message, reason)
    if trust is not None and report.assurance.label != "logged":
        raise InvalidRecordError(f"{path}: the attestation reached only {report.assurance.label}")
    return bundle, answer


def run(args: argparse.Namespace) -> int:
    from cerkit.node.client import NodeClient
    from cerkit.verify.trust import TrustStore

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
                bundle, answer = _attested(client, path, trust)
                _write(args.output or path, bundle)
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
        print(f"{len(args.files)} record(s) attested by {args.node}", file=sys.stderr)
    return EXIT_OK
