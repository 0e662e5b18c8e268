"""Seal and verify time per record of one source tree against another, interleaved.

For questions such as "is sealing slower than at commit X?": check X out somewhere, then

    python scripts/compare_trees.py --base /path/to/X/src

Each tree runs in its own Python process (its ``src`` first on the path) on the records of
bench/seal_verify.py. The two processes take turns, one timed pass each, the order swapped
every pair, so a burst of load from other processes hits both alike; the figure is the
median over the pairs of this tree's time divided by the base's, with the quartiles.
Without ``--base`` the tree is compared with itself, which shows how far apart two equal
trees measure on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from seal_verify import TimedProcess  # noqa: E402  (bench/ is not a package)

OPERATIONS = ("seal", "verify")


def worker(rounds: int) -> None:
    """Serve timed passes: read an operation per line, answer µs per record (one line)."""
    import cerkit
    from cerkit.seal import seal_args
    from cerkit.verify import verify_bundle
    from seal_verify import CREATED_AT, make_records

    records = make_records(200)
    bundles = [seal_args(args, created_at=CREATED_AT) for args in records]
    assert all(verify_bundle(bundle).ok for bundle in bundles)

    def seal_pass() -> None:
        for args in records:
            seal_args(args, created_at=CREATED_AT)

    def verify_pass() -> None:
        for bundle in bundles:
            verify_bundle(bundle)

    passes = {"seal": seal_pass, "verify": verify_pass}
    print(json.dumps({"cerkit": cerkit.__file__}), flush=True)
    for line in sys.stdin:
        run = passes[line.strip()]
        run()  # warm-up pass, not counted
        start = time.perf_counter_ns()
        for _ in range(rounds):
            run()
        elapsed = (time.perf_counter_ns() - start) / 1000 / rounds / len(records)
        print(json.dumps({"us": elapsed}), flush=True)


class Tree(TimedProcess):
    """A worker process with ``src`` first on its path."""

    def __init__(self, src: Path, rounds: int) -> None:
        env = {**os.environ, "PYTHONPATH": str(src)}
        command = [sys.executable, __file__, "--worker", "--rounds", str(rounds)]
        super().__init__(command, "a worker stopped", env)
        self.cerkit = str(self.hello["cerkit"])
        if not Path(self.cerkit).is_relative_to(src):
            raise SystemExit(f"{src} did not provide cerkit (got {self.cerkit})")


def compare(base_src: Path, tree_src: Path, pairs: int, rounds: int) -> dict[str, Any]:
    """Interleaved passes of both trees; per operation, the median ratio tree / base."""
    base, tree = Tree(base_src, rounds), Tree(tree_src, rounds)
    ratios: dict[str, list[float]] = {operation: [] for operation in OPERATIONS}
    times: dict[str, list[float]] = {f"{o}_{w}": [] for o in OPERATIONS for w in ("base", "tree")}
    try:
        for pair in range(pairs):
            for operation in OPERATIONS:
                if pair % 2:
                    tree_us, base_us = tree.time(operation), base.time(operation)
                else:
                    base_us, tree_us = base.time(operation), tree.time(operation)
                ratios[operation].append(tree_us / base_us)
                times[f"{operation}_base"].append(base_us)
                times[f"{operation}_tree"].append(tree_us)
    finally:
        base.close()
        tree.close()
    result: dict[str, Any] = {"base": base.cerkit, "tree": tree.cerkit, "pairs": pairs}
    for operation, values in ratios.items():
        low, median, high = statistics.quantiles(values, n=4)
        result[f"{operation}_ratio"] = round(median, 3)
        result[f"{operation}_ratio_quartiles"] = [round(low, 3), round(high, 3)]
    for name, values in times.items():
        result[f"{name}_us"] = round(statistics.median(values), 2)
    return result


def render(result: dict[str, Any]) -> str:
    lines = [f"base {result['base']}", f"tree {result['tree']}", f"{result['pairs']} pairs"]
    for operation in OPERATIONS:
        low, high = result[f"{operation}_ratio_quartiles"]
        base_us, tree_us = result[f"{operation}_base_us"], result[f"{operation}_tree_us"]
        lines.append(
            f"{operation:<7} tree/base {result[f'{operation}_ratio']:.3f}"
            f"  (quartiles {low:.3f}-{high:.3f}; median µs per record"
            f" {base_us:.2f} base, {tree_us:.2f} tree)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", type=Path, default=ROOT / "src", help="the base tree's src")
    parser.add_argument("--tree", type=Path, default=ROOT / "src", help="the tree's src")
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the records timed")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.worker:
        worker(options.rounds)
        return 0
    result = compare(options.base.resolve(), options.tree.resolve(), options.pairs, options.rounds)
    print(json.dumps(result) if options.json else render(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
