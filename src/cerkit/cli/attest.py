"""``cerkit attest``: have a node countersign and log records, and keep its attestation.

A ``.json`` file holds one record and is rewritten with its ``meta.attestation`` (or
written to ``-o``). A ``.jsonl`` file is sent through ``POST /v1/attest/batch`` in batches of
at most ``MAX_ATTEST_BATCH`` records; the attested records are written, in input order, to
``-o`` or to ``NAME.attested.jsonl`` beside it (the input is never rewritten, so a line that
fails is not lost), and each line that fails is reported with its line number and reason.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cerkit._text import counted
from cerkit.atomic import replacing, write_atomic
from cerkit.cli._common import (
    EXIT_FAILED,
    EXIT_OK,
    add_store_option,
    error,
    node_url,
    progress,
    write_json_line,
)
from cerkit.errors import InvalidRecordError, SchemaError, UsageError
from cerkit.ledger.base import RecordStore

NAME = "attest"
HELP = "send sealed records to an attestation node and add its meta.attestation to each"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--node", metavar="URL", help="the node's base URL (default $CERKIT_NODE_URL, the config)"
    )
    parser.add_argument("--token", help="write token (default $CERKIT_TOKEN)")
    parser.add_argument("-o", "--output", help="write the attested record(s) here (one FILE only)")
    add_store_option(parser, "where to keep the attested records")
    parser.add_argument("--no-store", action="store_true", help="do not keep them in a store")
    parser.add_argument(
        "--trust", metavar="FILE", help="saved node key document: verify each attestation first"
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per record")
    parser.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="sealed bundle .json files, or .jsonl batches (written to NAME.attested.jsonl)",
    )


class _Run:
    """One invocation: the node, what attestations must verify under, where they are kept."""

    def __init__(self, args: argparse.Namespace, client: Any, trust: Any, store: Any) -> None:
        self.args, self.client, self.trust = args, client, trust
        self.store: RecordStore | None = store
        self.attested = self.failed = 0

    def keep(self, bundle: dict[str, Any], answer: dict[str, Any], where: dict[str, Any]) -> None:
        if self.store is not None:
            self.store.put(bundle)
            self.store.set_meta(bundle["certificateHash"], bundle["meta"])
        self.attested += 1
        if self.args.json:
            write_json_line({**where, **answer})
        else:
            state = "attested" if answer["created"] else "already logged"
            print(f"{state} {answer['certificateHash']} at index {answer['logIndex']}")

    def fail(self, path: str, line: int, code: str, message: str) -> None:
        self.failed += 1
        if self.args.json:
            write_json_line(
                {"file": path, "line": line, "error": {"code": code, "message": message}}
            )
        error(f"{path}:{line}: {code}: {message}")

    def one_file(self, path: str) -> None:
        from cerkit.jsonio import dumps
        from cerkit.node.client import attest_record

        bundle, answer = attest_record(self.client, _load(path), trust=self.trust, source=path)
        write_atomic(self.args.output or path, dumps(bundle, pretty=True) + "\n")
        self.keep(bundle, answer, {"file": self.args.output or path})

    def jsonl(self, path: str) -> None:
        """Attest every line of a ``.jsonl`` batch; write the attested ones in order."""
        out = self.args.output or attested_path(path)
        with replacing(out) as handle:
            for chunk in _chunks(path):
                self._chunk(path, chunk, handle)

    def _chunk(self, path: str, chunk: list[tuple[int, Any]], handle: IO[str]) -> None:
        from cerkit.jsonio import dumps
        from cerkit.node.client import check_attestation

        good = []
        for line, item in chunk:
            if isinstance(item, InvalidRecordError):
                self.fail(path, line, str(item.reason), item.message)
            elif not isinstance(item, dict):
                self.fail(path, line, "SCHEMA_ERROR", "the line is not a sealed bundle")
            else:
                good.append((line, item))
        answers = self.client.attest_batch([bundle for _, bundle in good]) if good else []
        for (line, bundle), answer in zip(good, answers, strict=True):
            refused = answer.get("error")
            if isinstance(refused, dict):
                self.fail(path, line, str(refused.get("code")), str(refused.get("message")))
                continue
            try:
                source = f"{path}:{line}"
                attested = check_attestation(bundle, answer, trust=self.trust, source=source)
            except InvalidRecordError as exc:
                self.fail(path, line, str(exc.reason), exc.message)
                continue
            handle.write(dumps(attested) + "\n")
            self.keep(attested, answer, {"file": path, "line": line})


def attested_path(path: str) -> str:
    """Where the attested records of ``NAME.jsonl`` go by default: ``NAME.attested.jsonl``."""
    return str(Path(path).with_suffix(".attested.jsonl"))


def _chunks(path: str) -> Iterator[list[tuple[int, Any]]]:
    """The numbered lines of ``path`` in runs of at most ``MAX_ATTEST_BATCH``."""
    from cerkit.jsonio import iter_jsonl
    from cerkit.node.limits import MAX_ATTEST_BATCH

    chunk: list[tuple[int, Any]] = []
    for item in iter_jsonl(path):
        chunk.append(item)
        if len(chunk) == MAX_ATTEST_BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
    from cerkit.node.client import NodeClient
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
            attest = _Run(args, client, trust, store)
            for path in progress(args.files, total=len(args.files), desc="attest"):
                if path.endswith(".jsonl"):
                    attest.jsonl(path)
                else:
                    attest.one_file(path)
    finally:
        if store is not None:
            store.close()
    if not args.json:
        failed = f", {counted(attest.failed, 'record')} failed" if attest.failed else ""
        print(
            f"{counted(attest.attested, 'record')} attested by {args.node}{failed}", file=sys.stderr
        )
    return EXIT_FAILED if attest.failed else EXIT_OK
