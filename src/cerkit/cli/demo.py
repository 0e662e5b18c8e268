"""``cerkit demo``: record a real scikit-learn model three times, verify, show what moved.

See :mod:`cerkit.capture.demo` for the scenario. Records go to ``.cerkit/`` in the working
directory, or to ``--store``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from cerkit.cli._common import EXIT_FAILED, EXIT_OK, add_store_option

NAME = "demo"
HELP = "record a real scikit-learn model's predictions, verify the records, detect tampering"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_store_option(parser, "the record store the demo fills")


def run(args: argparse.Namespace) -> int:
    from cerkit.capture.demo import run_demo, tamper_check
    from cerkit.ledger.factory import shared_record_store, store_url

    url = store_url(args.store)
    store = shared_record_store(url)
    folder = Path(url).parent / "demo" if "://" not in url else Path(".cerkit", "demo")
    print("cerkit demo: a random forest on scikit-learn's breast-cancer data classifies the same")
    print("12 patients three times; each call is recorded by @cerkit.record, sealed and verified.")
    steps = run_demo(folder, store)
    print(f"  tamper check: one label edited in record 1 -> {tamper_check(steps[0].bundle)}")
    from cerkit.node.embedded import attest_demo_records

    logged = attest_demo_records([step.bundle for step in steps], store, url)
    store.flush()
    print(f"records: {url} ({store.count()} stored); pipeline code: {folder}")
    print(f"next: cerkit records list --store {url}  |  cerkit fingerprint")
    verified = all(step.verdict == "VERIFIED" for step in steps)
    return EXIT_OK if verified and logged else EXIT_FAILED
