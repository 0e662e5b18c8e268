"""``cerkit sign``: add a producer signature (``meta.producer``) to CER bundles.

The record is verified first (integrity: sign only what you checked); its certificateHash
does not change. Files are rewritten in place (atomically) unless ``-o`` names an output.
A ``.jsonl`` file is signed line by line and written as JSON Lines; a file with a line that
does not verify is reported line by line and left as it was (nothing half-signed).

    cerkit sign --key .cerkit/keys/1a2b3c4d5e6f7a8b.key record.json
    cerkit sign --key 1a2b3c4d5e6f7a8b --dir .cerkit/keys record.json -o signed.json
    cerkit sign --key 1a2b3c4d5e6f7a8b records.jsonl -o signed.jsonl
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cerkit._text import counted
from cerkit.cli._common import EXIT_FAILED, EXIT_OK, EXIT_OPERATIONAL, error

NAME = "sign"
HELP = "add a producer signature (meta.producer) to CER bundles; certificateHash unchanged"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key", required=True, metavar="K", help="private key file, or a key id in --dir"
    )
    parser.add_argument("--dir", metavar="DIR", help="key directory for a key id")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (one input only)")
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="bundle .json files, or .jsonl (one a line)"
    )


def _load_key(args: argparse.Namespace) -> Any:
    from cerkit.keyring import KeyRing, key_dir
    from cerkit.keys import load_private_key

    if Path(args.key).is_file():
        return load_private_key(args.key)
    return KeyRing(key_dir(args.dir)).private_key(args.key)


def _verified(bundle: Any) -> dict[str, Any]:
    """``bundle`` when its integrity layer passes (sign only what you checked)."""
    from cerkit.errors import SchemaError, VerificationError
    from cerkit.verify import Report
    from cerkit.verify.integrity import check_integrity

    if not isinstance(bundle, dict):
        raise SchemaError("not signed, a record must be a JSON object")
    report = Report(certificate_hash="")
    if not check_integrity(bundle, report):
        first = report.failures[0] if report.failures else None
        detail = f"{first.reason} {first.message}" if first else "integrity failed"
        raise VerificationError(f"not signed, the record does not verify: {detail}")
    return bundle


def _sign_jsonl(path: str, output: str | None, key: Any) -> int:
    """Sign every line of ``path``; write them all (to ``output`` or in place) only when
    every line verified. Returns how many lines failed."""
    from cerkit.atomic import write_atomic
    from cerkit.errors import InvalidRecordError
    from cerkit.jsonio import dumps, iter_jsonl
    from cerkit.signing import sign_bundle

    lines, failed = [], 0
    for number, item in iter_jsonl(path):
        try:
            if isinstance(item, InvalidRecordError):
                raise item
            lines.append(dumps(sign_bundle(_verified(item), key)) + "\n")
        except InvalidRecordError as exc:
            error(f"{path}:{number}: {exc}")
            failed += 1
    if failed:
        error(f"{path}: nothing written: {counted(failed, 'line')} did not verify")
        return failed
    write_atomic(output or path, "".join(lines))
    print(f"signed {path} ({counted(len(lines), 'record')})")
    return 0


def _sign_file(path: str, output: str | None, key: Any) -> None:
    from cerkit.atomic import write_atomic
    from cerkit.jsonio import dumps, load_file
    from cerkit.signing import sign_bundle

    bundle = _verified(load_file(path))
    write_atomic(output or path, dumps(sign_bundle(bundle, key), pretty=True) + "\n")
    print(f"signed {path} ({bundle['certificateHash']})")


def run(args: argparse.Namespace) -> int:
    from cerkit.errors import CerkitError, OperationalError, UsageError

    if args.output and len(args.files) != 1:
        raise UsageError("-o works with exactly one input file")
    key = _load_key(args)
    failed = errored = 0
    for path in args.files:
        try:
            if str(path).endswith(".jsonl"):
                failed += _sign_jsonl(path, args.output, key)
            else:
                _sign_file(path, args.output, key)
        except CerkitError as exc:
            if isinstance(exc, UsageError):
                raise
            error(f"{path}: {exc}")
            if isinstance(exc, OperationalError):
                errored += 1
            else:
                failed += 1
    if errored:
        return EXIT_OPERATIONAL
    return EXIT_FAILED if failed else EXIT_OK
