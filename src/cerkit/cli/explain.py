"""``cerkit explain A B [--confirm]``: why two records differ, with evidence from the
ledger's history and, with ``--confirm``, proven by re-running (docs/drift.md §5b)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cerkit.cli import _confirm
from cerkit.cli._common import EXIT_OK, add_store_option, write_json_line

NAME = "explain"
HELP = "explain why two records differ; --confirm tests each cause by re-running it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", help="the earlier or golden record: a file or a certificate hash")
    parser.add_argument("b", help="the later record: a file or a certificate hash")
    add_store_option(parser, "certificate hashes are looked up, and the key's history read, here")
    parser.add_argument(
        "--no-history", action="store_true", help="do not weigh causes by the store's history"
    )
    parser.add_argument("--confirm", action="store_true", help="re-run to test each cause")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    _confirm.add_arguments(parser)


def _history(explanation: Any, store: str | None) -> Any:
    """``explanation`` weighed by the history of its execution key in ``store``."""
    from cerkit.drift.history import weigh
    from cerkit.drift.sources import rows_from_store
    from cerkit.drift.timeline import analyze, group_history

    source = rows_from_store(store, key=explanation.key_b)
    try:
        rows = [r for r in source.rows if r[1] == explanation.key_b]
        if not rows:
            return explanation
        timeline = analyze(rows, source.load)
        group = timeline.groups[0]
        history = group_history(group.runs, group.change_points, source.load)
    finally:
        source.close()
    return weigh(explanation, history)


def run(args: argparse.Namespace) -> int:
    from cerkit.drift.attribution import explain
    from cerkit.drift.render import confirmation_text, explanation_text
    from cerkit.drift.sources import resolve

    explanation = explain(resolve(args.a, args.store), resolve(args.b, args.store))
    if args.store and not args.no_history:
        explanation = _history(explanation, args.store)
    answer: dict[str, Any] = {"explanation": explanation.to_json()}
    result = None
    if args.confirm:
        done = _confirm.run_reruns(explanation, "confirm", args)
        result = done.pop("_result")
        answer.update(done)
    if args.json:
        write_json_line(answer)
        return EXIT_OK
    sys.stdout.write(explanation_text(explanation, details=False) + "\n")
    if result is not None:
        sys.stdout.write(confirmation_text(result) + "\n")
        print(f"verdict record {answer['verdictRecord']} in {answer['replayStore']}")
    return EXIT_OK
