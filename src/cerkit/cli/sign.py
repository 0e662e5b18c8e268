"""``cerkit sign``: add a producer signature (``meta.producer``) to CER bundles.

The record is verified first (integrity: sign only what you checked); its certificateHash
does not change. Files are rewritten in place (atomically) unless ``-o`` names an output.

    cerkit sign --key .cerkit/keys/1a2b3c4d5e6f7a8b.key record.json
    cerkit sign --key 1a2b3c4d5e6f7a8b --dir .cerkit/keys record.json -o signed.json
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, EXIT_OPERATIONAL, error

NAME = "sign"
HELP = "add a producer signature (meta.producer) to CER bundles; certificateHash unchanged"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--key", required=True, metavar="K", help="private key file, or a key id in --dir"
    )
    parser.add_argument("--dir", metavar="DIR", help="key directory for a key id")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here (one input only)")
    parser.add_argument("files", nargs="+", metavar="FILE", help="bundle .json files")


def _load_key(args: argparse.Namespace) -> Any:
    from cerkit.keyring import KeyRing, key_dir
    from cerkit.keys import load_private_key

    if Path(args.key).is_file():
        return load_private_key(args.key)
    return KeyRing(key_dir(args.dir)).private_key(args.key)


def run(args: argparse.Namespace) -> int:
    from cerkit.atomic import write_atomic
    from cerkit.errors import CerkitError, OperationalError, UsageError, VerificationError
    from cerkit.jsonio import dumps, load_file
    from cerkit.signing import sign_bundle
    from cerkit.verify import Report
    from cerkit.verify.integrity import check_integrity

    if args.output and len(args.files) != 1:
        raise UsageError("-o works with exactly one input file")
    key = _load_key(args)
    failed = errored = 0
    for path in args.files:
        try:
            bundle = load_file(path)
            report = Report(certificate_hash="")
            if not check_integrity(bundle, report):
                first = report.failures[0] if report.failures else None
                detail = f"{first.reason} {first.message}" if first else "integrity failed"
                raise VerificationError(f"not signed, the record does not verify: {detail}")
            signed = sign_bundle(bundle, key)
            write_atomic(args.output or path, dumps(signed, pretty=True) + "\n")
            print(f"signed {path} ({bundle['certificateHash']})")
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
