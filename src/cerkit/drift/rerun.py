"""One replay run, in a fresh interpreter: ``python -m cerkit.drift.rerun OUT [--no-store]``.

Reads the original record on standard input, imports its entry point (the current directory
first on ``sys.path``), calls it once with the decoded recorded inputs through cerkit's
recorder and writes the new sealed record to ``OUT``. A fresh process per run sees the
environment as a new execution would (hash seed, module state, imported packages), and
keeps the replaying tool's own imports out of the new record.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

from cerkit.errors import OperationalError


def run_once(bundle: Mapping[str, Any], out: str, *, store: bool) -> None:
    """Call the recorded entry point once; the new record goes to ``out`` (and the store)."""
    from cerkit.capture import recorder
    from cerkit.capture.replay import entry_point_callable, recorded_inputs

    entry_point, args, kwargs = recorded_inputs(bundle)
    if entry_point.partition(":")[0] == "__main__":
        raise OperationalError(f"entry point {entry_point!r} cannot be imported for replay")
    if os.getcwd() not in sys.path:  # the recorded program's modules, as in the original run
        sys.path.insert(0, os.getcwd())

    def keep(new: dict[str, Any]) -> None:
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(new, handle)

    recorder.configure(store=None if store else False, hooks=[*recorder.DEFAULTS.hooks, keep])
    target = entry_point_callable(entry_point, unwrap=False)
    if getattr(target, "__cerkit_entry_point__", None) is None:
        target = recorder.record(name=entry_point)(target)
    with contextlib.suppress(Exception):  # the failure is in the new record (status error)
        target(*args, **kwargs)


def main() -> int:
    from cerkit.errors import CerkitError

    try:
        bundle = json.loads(sys.stdin.read())
        run_once(bundle, sys.argv[1], store="--no-store" not in sys.argv[2:])
    except CerkitError as exc:
        print(f"cerkit: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
