"""``cerkit demo``: a scikit-learn model and three LLM calls recorded, verified, explained.

See :mod:`cerkit.demo` for the parts. Records go to ``.cerkit/`` in the working directory,
or to ``--store``.
"""

from __future__ import annotations

import argparse

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, add_store_option

NAME = "demo"
HELP = "record a scikit-learn model and LLM calls (local stand-in), verify, explain the drift"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_option(parser, "the record store the demo fills")


def run(args: argparse.Namespace) -> int:
    from cerkit.demo import run_demo

    return EXIT_OK if run_demo(args.store, report=print) else EXIT_FAILED
