"""``cerkit fingerprint``: print the runtime fingerprint this process would record."""

from __future__ import annotations

import argparse

from cerkit._text import counted
from cerkit.cli._common import EXIT_OK, write_json_line

NAME = "fingerprint"
HELP = "print the runtime fingerprint (environment) a record made here would carry"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="the environment object as JSON")


def _summary(value: object) -> str:
    if isinstance(value, dict):
        if "unknown" in value:
            return f"unknown ({value['unknown']})"
        shown = {k: v for k, v in value.items() if k != "source"}
        parts = []
        for key, item in shown.items():
            if isinstance(item, dict | list):
                item = counted(len(item), "entry")
            parts.append(f"{key}={item}")
        return ", ".join(parts)
    return str(value)


def run(args: argparse.Namespace) -> int:
    from cerkit.capture.fingerprint import fingerprint

    environment = fingerprint()
    if args.json:
        write_json_line(environment)
        return EXIT_OK
    print(f"digest    {environment['digest']}")
    for name, part in environment.items():
        if name in ("schema", "digest"):
            continue
        source = part.get("source", "?") if isinstance(part, dict) else "?"
        print(f"{name:<9} {_summary(part)}")
        print(f"{'':<9} (from {source})")
    return EXIT_OK
