"""``cerkit seal``: seal ``createSnapshot`` arguments into CER bundles."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, error, write_json_line
from cerkit.errors import CerkitError, OperationalError, SchemaError, UsageError
from cerkit.jsonio import dumps, iter_jsonl, load_file
from cerkit.seal import iso_now, seal_args

if TYPE_CHECKING:
    from cerkit.disclosure.policy import DisclosurePolicy

NAME = "seal"
HELP = (
    "seal createSnapshot arguments (a JSON object, or one per line with --jsonl); "
    "an object's own createdAt sets the bundle's createdAt"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--created-at", metavar="ISO", help="createdAt of the bundle")
    parser.add_argument(
        "--jsonl", action="store_true", help="one object per line (implied by .jsonl)"
    )
    parser.add_argument(
        "--disclosable",
        metavar="OPENINGS",
        help="seal with salted commitments to prompt, input and output, or the policy's "
        "fields (docs/spec.md §6.3); the openings (salts) are written to OPENINGS, never "
        "into the record",
    )
    policy = parser.add_argument_group(
        "disclosure policy (default: [tool.cerkit.disclosure], docs/config.md)"
    )
    policy.add_argument(
        "--fields",
        metavar="LIST",
        help="comma-separated fields to seal disclosable (prompt,input,output,parameters,"
        "effectiveParameters); openings go to --disclosable or .cerkit/openings/",
    )
    policy.add_argument(
        "--no-disclosable",
        action="store_true",
        help="seal without commitments, whatever the policy says",
    )
    policy.add_argument("--content", choices=("full", "hash"), help="hash: keep only the hashes")
    policy.add_argument("--mask", metavar="MODULE:NAME", help="run this masking hook first")
    parser.add_argument("file", nargs="?", default="-", help="JSON file, or - for stdin")


def _created_at(args: Any, created_at: str | None) -> tuple[dict[str, Any], str | None]:
    """An object's own ``createdAt`` (not a snapshot field) beats ``--created-at``."""
    if not isinstance(args, dict):
        raise SchemaError("each line must be a JSON object")
    if "createdAt" in args:
        args = dict(args)
        created_at = args.pop("createdAt")
        if not isinstance(created_at, str) or not created_at:
            raise SchemaError("createdAt must be a non-empty string")
    return args, created_at


def _seal_line(args: Any, created_at: str | None) -> dict[str, Any]:
    """Seal one object as it is."""
    document, created_at = _created_at(args, created_at)
    return seal_args(document, created_at=created_at)


def run(args: argparse.Namespace) -> int:
    jsonl = args.jsonl or str(args.file).endswith(".jsonl")
    policy = _policy(args)
    if args.disclosable and jsonl:
        raise UsageError("--disclosable seals one record at a time")
    seal_one = _sealer(policy, args.disclosable)
    if jsonl:
        failed = 0
        for number, item in iter_jsonl(args.file):
            try:
                if isinstance(item, CerkitError):
                    raise item
                write_json_line(seal_one(item, args.created_at))
            except CerkitError as exc:
                error(f"{args.file}:{number}: {exc}")
                failed += 1
        return EXIT_FAILED if failed else EXIT_OK
    document = load_file(args.file)
    if not isinstance(document, dict):
        raise SchemaError("the document must be a JSON object of createSnapshot arguments")
    sys.stdout.write(dumps(seal_one(document, args.created_at), pretty=True) + "\n")
    return EXIT_OK


def _policy(args: argparse.Namespace) -> DisclosurePolicy:
    """Flags > ``CERKIT_DISCLOSURE_*`` > the project file > defaults; ``--disclosable``
    with no fields named anywhere seals prompt, input and output."""
    from cerkit.disclosure.commitments import DEFAULT_FIELDS
    from cerkit.disclosure.policy import load_policy, parse

    if args.no_disclosable and (args.disclosable or args.fields):
        raise UsageError("--no-disclosable contradicts --disclosable and --fields")
    if args.content == "hash" and (args.disclosable or args.fields):
        raise UsageError("--content hash keeps no content to disclose")
    flags = {"fields": args.fields, "content": args.content, "mask": args.mask}
    if args.no_disclosable:
        flags["fields"] = []
    policy = load_policy(flags=flags)
    if args.disclosable and not policy.fields:
        policy = parse({"fields": list(DEFAULT_FIELDS)}, "--disclosable: ", policy)
    return policy


def _sealer(
    policy: DisclosurePolicy, openings_file: str | None
) -> Callable[[Any, str | None], dict[str, Any]]:
    """The function sealing one object under ``policy``."""
    if policy.is_default:
        return _seal_line
    from cerkit.atomic import write_atomic
    from cerkit.disclosure import seal_disclosable
    from cerkit.disclosure.privacy import prepare, save_openings, seal_private

    def keep(openings: dict[str, Any]) -> None:
        if openings_file is None:
            error(f"openings: {save_openings(openings)}")
        else:
            write_atomic(openings_file, dumps(openings, pretty=True) + "\n", mode=0o600)

    privacy = policy.privacy(keep)
    assert privacy is not None
    mask = None
    if privacy.mask is not None:  # the record names the mask's entry point and code digest
        from cerkit.capture.builder import code_identity

        mask = code_identity(privacy.mask)[:2]

    def seal_one(item: Any, created_at: str | None) -> dict[str, Any]:
        document, created_at = _created_at(item, created_at)
        if privacy.mask is None and privacy.content == "full":  # commitments only, as given
            bundle, openings = seal_disclosable(
                document, created_at=created_at, fields=policy.fields
            )
            keep(openings)
            return bundle
        try:
            prepared = prepare(document, privacy, mask)
        except CerkitError:
            raise
        except Exception as exc:  # the user's masking hook failed
            raise OperationalError(f"the mask {policy.mask} failed: {exc!r}") from None
        return seal_private(prepared, created_at or iso_now(), privacy)

    return seal_one
