"""``cerkit redact``: write a shared copy of a disclosable record with fields withheld.

    cerkit redact record.json --openings record.openings.json \\
        --withhold snapshot.input,snapshot.output -o shared.json

The copy verifies against the original certificateHash (``cerkit verify shared.json``) and
carries neither the withheld values nor any unsalted digest of them (docs/spec.md §6.3).
"""

from __future__ import annotations

import argparse
import os

from cerkit._text import counted
from cerkit.cli._common import EXIT_OK
from cerkit.errors import UsageError

NAME = "redact"
HELP = "write a shared copy of a disclosable record with chosen fields withheld"


def openings_path(record: str, given: str | None, certificate_hash: object = None) -> str:
    """``--openings`` or, by default, ``RECORD`` with ``.openings.json`` for ``.json``; when
    that file does not exist, where the recorder and ``cerkit seal`` keep openings by
    default (``.cerkit/openings/<hex>.json``), if the record's is there."""
    if given:
        return given
    beside = (record[: -len(".json")] if record.endswith(".json") else record) + ".openings.json"
    if not os.path.exists(beside) and isinstance(certificate_hash, str):
        from cerkit.disclosure.privacy import DEFAULT_OPENINGS_DIR

        kept = os.path.join(
            DEFAULT_OPENINGS_DIR, certificate_hash.removeprefix("sha256:") + ".json"
        )
        if os.path.exists(kept):
            return kept
    return beside


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("record", metavar="RECORD", help="the full disclosable record (.json)")
    parser.add_argument(
        "--withhold",
        metavar="PATHS",
        help="comma-separated paths to withhold (snapshot.input, snapshot.input.messages[1]...);"
        " default: disclosure.withhold of the project configuration (docs/config.md)",
    )
    parser.add_argument(
        "--openings", metavar="FILE", help="the record's openings (default RECORD.openings.json)"
    )
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="the shared copy")


def run(args: argparse.Namespace) -> int:
    from cerkit.atomic import write_atomic
    from cerkit.disclosure import redact
    from cerkit.disclosure.policy import load_policy
    from cerkit.jsonio import dumps, load_file

    policy = load_policy(flags={"withhold": args.withhold})
    if not policy.withhold:
        raise UsageError(
            "name the paths to withhold: --withhold, or disclosure.withhold in the project "
            "configuration"
        )
    bundle = load_file(args.record)
    cert = bundle.get("certificateHash") if isinstance(bundle, dict) else None
    openings = load_file(openings_path(args.record, args.openings, cert))
    shared = redact(bundle, openings, policy.withhold)
    write_atomic(args.output, dumps(shared, pretty=True) + "\n")
    withheld = shared["meta"]["disclosure"]["withheld"]
    print(
        f"wrote {args.output}: {counted(len(withheld), 'field')} withheld ({', '.join(withheld)})"
    )
    return EXIT_OK
