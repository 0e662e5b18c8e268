"""LangGraph handler overhead: the same graph run with and without ``CerkitCallbackHandler``.

The graph is the tests' (``linear_graph`` of tests/integrations/langgraph_fixtures.py): a planning
LLM node, a tool node, an answering LLM node, with ``langchain-core``'s fake chat model so
that the measured difference is cerkit's alone (no network, no server). Runs alternate
between the plain graph and the graph with the handler (records sealed and queued for a
SQLite store, and a project bundle built per run), so both see the same machine load.

* ``langgraph_step_overhead_us``: (median run time with the handler - median without) /
  steps recorded per run (LLM calls + tool calls + nodes + the run), in microseconds.

Target (issue 12): <= 200 us per step. ``--json`` prints one object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from langchain_core.language_models.fake_chat_models import FakeListChatModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "integrations"))

RUNS = 300
WARMUP = 20
TARGET_STEP_US = 200.0


def build_graph() -> Any:
    """The tests' plan -> research -> answer graph, with the fake chat model."""
    from langgraph_fixtures import linear_graph

    return linear_graph(FakeListChatModel(responses=["Look it up, then answer.", "Two tides."]))


def _time(run: Any) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def measure(runs: int = RUNS) -> dict[str, Any]:
    from cerkit.integrations.langchain import CerkitCallbackHandler
    from cerkit.ledger import close_shared_stores

    graph = build_graph()
    state = {"question": "tides", "plan": "", "facts": [], "answer": ""}
    with tempfile.TemporaryDirectory() as folder:
        store = str(Path(folder) / "ledger.db")
        handler = CerkitCallbackHandler("bench", store=store)
        config = {"callbacks": [handler]}
        plain, recorded = [], []
        for index in range(WARMUP + runs):
            a = _time(lambda: graph.invoke(state))
            b = _time(lambda: graph.invoke(state, config=config))
            if index >= WARMUP:
                plain.append(a)
                recorded.append(b)
        assert handler.bundle is not None
        steps = handler.bundle["totalSteps"]
        handler.bundles.clear()
        close_shared_stores()
    plain_us = statistics.median(plain) * 1e6
    recorded_us = statistics.median(recorded) * 1e6
    per_step = (recorded_us - plain_us) / steps
    return {
        "runs": runs,
        "steps_per_run": steps,
        "plain_run_us": round(plain_us, 1),
        "handler_run_us": round(recorded_us, 1),
        "langgraph_step_overhead_us": round(per_step, 1),
        "ratio": round(recorded_us / plain_us, 3),
        "target_us": TARGET_STEP_US,
        "ok": per_step <= TARGET_STEP_US,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    result = measure(args.runs)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"LangGraph run, {result['steps_per_run']} steps: plain {result['plain_run_us']} us, "
            f"with CerkitCallbackHandler {result['handler_run_us']} us (x{result['ratio']}); "
            f"{result['langgraph_step_overhead_us']} us per step "
            f"(target <= {TARGET_STEP_US:.0f}: {'ok' if result['ok'] else 'MISSED'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
