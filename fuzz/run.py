"""``make fuzz``: the long campaign against hostile input, with counts.

1. the property tests (tests/properties) under the ``fuzz`` hypothesis profile;
2. coverage-guided atheris runs of the JSON reader, the canonicalizer and the verifier
   (fuzz/atheris_json.py), each in its own process;
3. schemathesis against a real node's ``/openapi.json`` (fuzz/node_api.py).

Budgets are the constants below. Prints one line per step and a JSON summary (``--json``
prints only the summary); exits 1 when any step found a crash, a failed property or a 5xx.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Final

ROOT = Path(__file__).resolve().parent.parent
#: Inputs per coverage-guided target: ~110,000 in all, a few minutes on two cores.
ATHERIS_RUNS: Final[dict[str, int]] = {
    "json_reader": 50_000,
    "canonicalizer": 40_000,
    "verifier": 20_000,
}
#: Generated requests per node operation and generation mode (positive and negative).
SCHEMATHESIS_EXAMPLES: Final[int] = 300


def _run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    return subprocess.run(argv, capture_output=True, text=True, env=environ, cwd=ROOT)


def properties() -> dict[str, Any]:
    done = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/properties",
         "--hypothesis-show-statistics"],
        env={"CERKIT_HYPOTHESIS_PROFILE": "fuzz"},
    )  # fmt: skip
    examples = sum(int(n) for n in re.findall(r"(\d+) passing(?: examples)?,", done.stdout))
    failed = re.search(r"(\d+) failed", done.stdout)
    return {
        "step": "hypothesis properties (fuzz profile)",
        "inputs": examples,
        "failures": int(failed.group(1)) if failed else (0 if done.returncode == 0 else 1),
        "detail": done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr,
    }


def atheris_target(name: str, runs: int) -> dict[str, Any]:
    done = _run([sys.executable, str(ROOT / "fuzz" / "atheris_json.py"), name, str(runs)])
    found = re.findall(r"Done (\d+) runs", done.stderr)
    crashed = done.returncode != 0
    detail = ""
    if crashed:
        lines = [line for line in done.stderr.splitlines() if "Error" in line or "==" in line]
        detail = " | ".join(lines[:4])
    return {
        "step": f"atheris {name}",
        "inputs": int(found[-1]) if found else 0,
        "failures": int(crashed),
        "detail": detail,
    }


def schemathesis_node() -> dict[str, Any]:
    done = _run([sys.executable, str(ROOT / "fuzz" / "node_api.py"), str(SCHEMATHESIS_EXAMPLES)])
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"step": "schemathesis node", "inputs": 0, "failures": 1, "detail": done.stderr}
    result = json.loads(lines[-1])
    return {
        "step": "schemathesis node /openapi.json",
        "inputs": result["requests"],
        "failures": result["server_errors"],
        "detail": f"{result['operations']} operations, statuses {result['by_status']}"
        + (f"; {result['first_failures']}" if result["first_failures"] else ""),
    }


def main() -> int:
    quiet = "--json" in sys.argv
    steps: list[dict[str, Any]] = []
    jobs = [properties] + [
        (lambda n=name, r=runs: atheris_target(n, r)) for name, runs in ATHERIS_RUNS.items()
    ]
    jobs.append(schemathesis_node)
    for job in jobs:
        started = time.monotonic()
        step = job()
        step["seconds"] = round(time.monotonic() - started, 1)
        steps.append(step)
        if not quiet:
            print(f"{step['step']:<40} {step['inputs']:>8} inputs  {step['failures']} failures"
                  f"  {step['seconds']:>6}s  {step['detail']}", flush=True)  # fmt: skip
    summary = {
        "inputs": sum(s["inputs"] for s in steps),
        "failures": sum(s["failures"] for s in steps),
        "steps": steps,
    }
    print(json.dumps(summary) if quiet else f"total: {summary['inputs']} inputs, "
          f"{summary['failures']} failures (crashes, failed properties, 5xx answers)")  # fmt: skip
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
