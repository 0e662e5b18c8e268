"""What ``explain --confirm``, ``bisect`` and ``drift --confirm`` share: options, the re-runs,
the sealed verdict, storing the re-run records."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cerkit.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("re-runs (docs/drift.md §5b)")
    group.add_argument("--budget", type=float, metavar="S", help="time budget in seconds")
    group.add_argument(
        "--workdir",
        metavar="DIR",
        help="where the recorded program lives (default: a command's recorded folder, else here)",
    )
    group.add_argument(
        "--installer", choices=("pip", "uv"), default="pip", help="builds package overlays"
    )
    group.add_argument(
        "--replay-store", metavar="URL", help="re-run records go here (default .cerkit/replays.db)"
    )
    group.add_argument("--out", metavar="FILE", help="write the sealed verdict record here")
    group.add_argument("--sign", metavar="KEY", help="sign the verdict with this key file")
    group.add_argument("--attest", metavar="URL", help="have this node attest the verdict")


def _bar(desc: str) -> tuple[Callable[[int, int, str], None] | None, Any]:
    """A progress callback drawing a tqdm bar on a terminal, and the bar (to close)."""
    if not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=1, desc=desc, unit="run", file=sys.stderr, leave=False)

    def watch(done: int, total: int, purpose: str) -> None:
        bar.total = total
        bar.n = done
        bar.set_postfix_str(purpose[:40])
        bar.refresh()

    return watch, bar


def store_replays(records: Sequence[Mapping[str, Any]], url: str | None) -> str:
    """Put re-run records into the replay store (``url``, else ``CERKIT_REPLAY_STORE``,
    else ``replays.db`` beside the default ledger): kept out of drift timelines."""
    from cerkit import ledger

    target = url or os.environ.get("CERKIT_REPLAY_STORE") or str(Path(".cerkit", "replays.db"))
    if "://" not in target:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    store = ledger.open_record_store(target)
    try:
        for record in records:
            store.put(record)
    finally:
        store.close()
    return target


def run_reruns(explanation: Any, mode: str, args: argparse.Namespace) -> dict[str, Any]:
    """Confirm or bisect one explained pair; seal, store and write the verdict.

    Returns:
        ``{"confirmation": ..., "verdictRecord": ..., "replayStore": ...}`` as JSON values,
        and the :class:`~cerkit.drift.confirm.Confirmation` under ``"_result"``.
    """
    from cerkit.capture.builder import iso_time
    from cerkit.capture.fingerprint import fingerprint
    from cerkit.capture.trust_hooks import trust_hooks
    from cerkit.drift.relaunch import relaunch_pair
    from cerkit.drift.verdict import seal_verdict

    if args.budget is not None and args.budget <= 0:
        raise UsageError("--budget must be a positive number of seconds")
    recorded = (explanation.diff.b.get("snapshot") or {}).get("execution", {}).get("cwd")
    if args.workdir:
        workdir = os.path.abspath(args.workdir)
        if not os.path.isdir(workdir):
            raise UsageError(f"--workdir {args.workdir} is not a directory")
    elif isinstance(recorded, str) and os.path.isdir(recorded):
        workdir = recorded  # a recorded command names the folder it ran in
    else:
        workdir = os.getcwd()
    watch, bar = _bar("confirming" if mode == "confirm" else "bisecting")
    try:
        result, records = relaunch_pair(
            explanation, mode, workdir=workdir, budget=args.budget,
            installer=args.installer, watch=watch,
        )  # fmt: skip
    finally:
        if bar is not None:
            bar.close()
    hooks = trust_hooks(sign=args.sign, attest=args.attest)
    import time

    verdict = seal_verdict(result, environment=fingerprint(), at=iso_time(time.time()), hooks=hooks)
    where = store_replays([*records, verdict], args.replay_store)
    if args.out:
        from cerkit.atomic import write_atomic
        from cerkit.jsonio import dumps

        write_atomic(args.out, dumps(verdict, pretty=True) + "\n")
    return {
        "confirmation": result.to_json(),
        "verdictRecord": verdict["certificateHash"],
        "replayStore": where,
        "_result": result,
    }


__all__ = ["add_arguments", "run_reruns", "store_replays"]
