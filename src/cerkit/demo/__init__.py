"""The demo behind ``cerkit demo`` (``make demo``): real records on the embedded default store.

A demo is a sequence of *parts*. Each part is a function taking the shared
:class:`~cerkit.demo.base.Demo` (the store, its URL, a folder for the part's files, where to
report lines, and the sealed records made so far) and returning whether everything it
showed held. Parts run in :data:`PARTS` order:

* :mod:`cerkit.demo.pipeline`: a real scikit-learn model recorded three times (baseline,
  changed default, retrained), each record verified and compared; one tampered copy fails.
* :mod:`cerkit.demo.llm`: the official ``openai`` client, instrumented, against a local
  OpenAI-compatible stand-in: three identical calls, the stand-in re-points its model alias
  before the third, and the drift is explained by the served model.
* :mod:`cerkit.demo.attested`: every record made so far signed by a producer key, attested
  and logged by an in-process node, kept in the store and verified offline.

A new part is a module with a ``run(demo) -> bool`` function that appends its sealed records
to ``demo.records`` (so the attestation part signs and logs them too), listed in
:data:`PARTS` before :mod:`~cerkit.demo.attested`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from cerkit.demo import attested, llm, pipeline
from cerkit.demo.base import Demo, Part

#: The parts ``cerkit demo`` runs, in order; the attestation part comes last.
PARTS: Final[tuple[Part, ...]] = (pipeline.run, llm.run, attested.run)


def run_demo(
    store: str | None, report: Callable[[str], None], parts: Sequence[Part] | None = None
) -> bool:
    """Run every part on the store ``store`` names; True when every part held.

    Args:
        store: a store path or URL (``None``: ``$CERKIT_STORE`` or ``.cerkit/``).
        report: where the human-readable lines go (``print`` for the CLI).
        parts: the parts to run (default :data:`PARTS`).
    """
    from cerkit.ledger.factory import shared_record_store, store_url

    url = store_url(store)
    demo = Demo(shared_record_store(url), url, report)
    ok = True
    for part in PARTS if parts is None else parts:
        ok = part(demo) and ok
    demo.store.flush()
    report(f"records: {url} ({demo.store.count()} stored); pipeline code: {demo.folder}")
    cli = cli_command()
    report(f"next: {cli} records list --store {url}  |  {cli} fingerprint")
    return ok


def cli_command() -> str:
    """How to run ``cerkit`` from here, as a shell would take it: ``cerkit`` when that name on
    the PATH is this installation, else the script beside this interpreter (``.venv/bin/cerkit``
    after ``make demo``, relative to the working directory when under it), else
    ``python -m cerkit``."""
    import os
    import shlex
    import shutil
    import sys

    script = os.path.join(os.path.dirname(sys.executable), "cerkit")
    found = shutil.which("cerkit")
    if found is not None and (not os.path.exists(script) or os.path.samefile(found, script)):
        return "cerkit"
    if os.path.exists(script):
        relative = os.path.relpath(script)
        return shlex.quote(script if relative.startswith("..") else relative)
    return f"{shlex.quote(sys.executable)} -m cerkit"


__all__ = ["PARTS", "Demo", "Part", "cli_command", "run_demo"]
