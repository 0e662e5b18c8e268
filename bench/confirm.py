"""Confirmation and bisection: re-runs used against candidates, and their cost over replays.

1. ``reruns_by_n``: the re-runs :func:`cerkit.drift.bisect.bisect` uses to find one culprit
   among N changed packages, for N = 2..64 and the culprit at every position (the engine
   with a runner that answers from the culprit, so the counts are the engine's own).
   Bound: ``⌈log2 N⌉ + 2``.
2. ``reruns_for_32``: a REAL bisection (``cerkit.drift.relaunch``): 32 tiny packages built
   into wheels by setuptools' PEP 517 backend and served as a local index
   (``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS``); a program imports all 32 and its output
   follows one; records A (every package 1.0) and B (every package 2.0) come from
   subprocesses; the bisection runs in overlays. Target: <= 7.
3. ``confirm_over_replay``: a REAL confirmation (a hash-seed cause and decoy variables: one
   reproducing run and four flips) timed end to end, over the time of the same number of
   bare replays of the record (:func:`cerkit.drift.rerun.run_fresh`, this environment, no
   setting), measured before and after it and averaged (the machine's load drifts): what
   confirmation adds to the re-runs it needs. ``bisect_over_replay`` is the same ratio for
   the real bisection (building the package overlays included).

    python bench/confirm.py [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cerkit.drift.attribution import explain
from cerkit.drift.bisect import bisect
from cerkit.drift.confirm import Run, RunResult
from cerkit.seal import seal_args

SRC = str(Path(__file__).resolve().parent.parent / "src")
RUNNER = """
import json, sys
from cerkit.capture.recorder import configure
configure(store=False)
import app
app.main(*json.loads(sys.argv[2]))
with open(sys.argv[1], "w") as handle:
    json.dump(app.main.last_record, handle)
"""
SET_ORDER = """from cerkit.capture.recorder import record
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu".split()

@record
def main(n):
    return list(set(WORDS))[:n]
"""
_BUILD = """
import contextlib, io, os, sys
from setuptools import build_meta
out = sys.argv[1]  # read first: the backend rewrites sys.argv
for project in sys.argv[2:]:
    os.chdir(project)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        build_meta.build_wheel(out)
"""


def _record_args(packages: Mapping[str, str], output: int) -> dict[str, Any]:
    return {
        "executionId": "e", "provider": "python", "model": "app:main", "prompt": "app:main",
        "input": {"args": [1], "kwargs": {}}, "output": output, "timestamp": "t",
        "parameters": {"temperature": 0, "maxTokens": 0, "topP": None, "seed": None},
        "execution": {"kind": "python", "entryPoint": "app:main"},
        "environment": {"packages": {"installed": dict(packages)},
                        "imported": {"packages": dict(packages)}},
    }  # fmt: skip


def counts(sizes: tuple[int, ...] = (2, 4, 8, 16, 32, 64)) -> dict[int, int]:
    """The most re-runs bisection used over every culprit position, per N."""
    worst = {}
    for n in sizes:
        names = [f"p{i:02d}" for i in range(n)]
        a = seal_args(_record_args(dict.fromkeys(names, "1.0"), 1), created_at="t1")
        b = seal_args(_record_args(dict.fromkeys(names, "2.0"), 2), created_at="t2")
        explanation = explain(a, b)
        outputs = (a["snapshot"]["outputHash"], b["snapshot"]["outputHash"])
        most = 0
        for culprit in names:

            def runner(
                run: Run, culprit: str = culprit, outputs: tuple[str, str] = outputs
            ) -> RunResult:
                old = (culprit, "1.0") in run.setting.packages
                return RunResult(outputs[0] if old else outputs[1], {"certificateHash": ""}, 0.0)

            result = bisect(explanation, runner)
            assert [t.candidate.subject for t in result.confirmed] == [culprit]
            most = max(most, result.reruns)
        worst[n] = most
    return worst


def _env(*paths: str, **extra: str) -> dict[str, str]:
    drop = ("PYTHON", "OMP_", "CERKIT", "PIP_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PYTHONPATH"] = os.pathsep.join([SRC, *paths])
    return {**env, "PYTHONHASHSEED": "0", **extra}


def _record(app: Path, out: Path, args: list[Any], env: dict[str, str]) -> dict[str, Any]:
    subprocess.run(
        [sys.executable, "run.py", str(out), json.dumps(args)], cwd=app, env=env, check=True
    )
    record: dict[str, Any] = json.loads(out.read_text())
    return record


@contextlib.contextmanager
def _environ(env: Mapping[str, str]) -> Any:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _replays(record: Mapping[str, Any], app: Path, runs: int) -> float:
    from cerkit.drift.rerun import run_fresh

    started = time.perf_counter()
    for _ in range(runs):
        run_fresh(record, cwd=str(app), store=False).require("bare replay")
    return time.perf_counter() - started


def real_confirmation(root: Path) -> tuple[int, float, float]:
    """(re-runs, confirmation seconds, bare-replay seconds) of the hash-seed scenario."""
    from cerkit.drift.relaunch import relaunch_pair

    app = root / "confirm"
    app.mkdir()
    (app / "app.py").write_text(SET_ORDER)
    (app / "run.py").write_text(RUNNER)
    a = _record(app, root / "a.json", [6], _env(PYTHONHASHSEED="1", OMP_NUM_THREADS="1", TZ="UTC"))
    env_b = _env(PYTHONHASHSEED="2", OMP_NUM_THREADS="2", TZ="Asia/Tokyo")
    b = _record(app, root / "b.json", [6], env_b)
    with _environ(env_b):
        before = _replays(b, app, 5)  # as many as the confirmation makes (checked below)
        started = time.perf_counter()
        result, _records = relaunch_pair(explain(a, b), "confirm", workdir=str(app))
        confirm_s = time.perf_counter() - started
        assert [t.candidate.subject for t in result.confirmed] == ["PYTHONHASHSEED"], result
        assert result.reruns == 5, result.reruns
        replay_s = (before + _replays(b, app, result.reruns)) / 2  # load drifts: both sides
    return result.reruns, confirm_s, replay_s


def real_bisection(root: Path, n: int = 32, culprit: int = 21) -> tuple[int, float, float]:
    """(re-runs, bisection seconds, bare-replay seconds) for one culprit among ``n``."""
    from cerkit.drift.relaunch import relaunch_pair

    wheels, projects = root / "wheels", []
    for i in range(n):
        for version in ("1.0", "2.0"):
            project = root / "projects" / f"bench{i:02d}-{version}"
            (project / f"bench{i:02d}").mkdir(parents=True)
            (project / f"bench{i:02d}" / "__init__.py").write_text(f"EFFECT = '{i}-{version}'\n")
            (project / "pyproject.toml").write_text(
                '[build-system]\nrequires = ["setuptools"]\n'
                'build-backend = "setuptools.build_meta"\n'
                f'[project]\nname = "bench{i:02d}"\nversion = "{version}"\n'
                f'[tool.setuptools]\npackages = ["bench{i:02d}"]\n'
            )
            projects.append(str(project))
    wheels.mkdir()
    subprocess.run([sys.executable, "-c", _BUILD, str(wheels), *projects], check=True)
    app = root / "bisect"
    app.mkdir()
    imports = "\n".join(f"import bench{i:02d}" for i in range(n))
    (app / "app.py").write_text(
        f"from cerkit.capture.recorder import record\n{imports}\n\n@record\n"
        f"def main(x):\n    return [x, bench{culprit:02d}.EFFECT]\n"
    )
    (app / "run.py").write_text(RUNNER)
    index = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels)}
    site = {v: root / f"site-{v}" for v in ("1.0", "2.0")}
    for version, folder in site.items():
        specs = [f"bench{i:02d}=={version}" for i in range(n)]
        pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target"]
        subprocess.run([*pip, str(folder), *specs], env={**os.environ, **index}, check=True)
    # The same PYTHONPATH string in both records: only the packages behind it differ.
    live = root / "site"
    live.symlink_to(site["1.0"])
    a = _record(app, root / "ba.json", [1], _env(str(live)))
    live.unlink()
    live.symlink_to(site["2.0"])
    env_b = _env(str(live), **index)
    b = _record(app, root / "bb.json", [1], env_b)
    with _environ(env_b):
        before = _replays(b, app, 7)
        started = time.perf_counter()
        result, _records = relaunch_pair(explain(a, b), "bisect", workdir=str(app))
        bisect_s = time.perf_counter() - started
        assert [t.candidate.subject for t in result.confirmed] == [f"bench{culprit:02d}"], result
        replay_s = (before * result.reruns / 7 + _replays(b, app, result.reruns)) / 2
    return result.reruns, bisect_s, replay_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    worst = counts()
    bound_ok = all(runs <= math.ceil(math.log2(n)) + 2 for n, runs in worst.items())
    with tempfile.TemporaryDirectory(prefix="cerkit-bench-confirm-") as scratch:
        c_runs, confirm_s, c_replay_s = real_confirmation(Path(scratch))
        b_runs, bisect_s, b_replay_s = real_bisection(Path(scratch))
    result = {
        "reruns_by_n": worst,
        "reruns_for_32": b_runs,
        "confirm_over_replay": round(confirm_s / c_replay_s, 3),
        "confirm_reruns": c_runs,
        "confirm_s": round(confirm_s, 2),
        "confirm_bare_replays_s": round(c_replay_s, 2),
        "bisect_over_replay": round(bisect_s / b_replay_s, 3),
        "bisect_s": round(bisect_s, 2),
        "bisect_bare_replays_s": round(b_replay_s, 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        table = ", ".join(f"N={n}: {r}" for n, r in worst.items())
        print(f"bisection, worst re-runs over every culprit position: {table} "
              f"(bound ceil(log2 N) + 2: {'holds' if bound_ok else 'BROKEN'})")  # fmt: skip
        print(f"real bisection, 1 culprit among 32 changed packages: {b_runs} re-runs "
              f"(target <= 7) in {bisect_s:.1f} s; the same bare replays {b_replay_s:.1f} s, "
              f"ratio {result['bisect_over_replay']}x (overlays included)")  # fmt: skip
        print(f"real confirmation (1 cause, 2 decoys): {c_runs} re-runs in {confirm_s:.1f} s; "
              f"the same bare replays {c_replay_s:.1f} s, "
              f"ratio {result['confirm_over_replay']}x")  # fmt: skip
    return 0 if bound_ok and b_runs <= 7 else 1


if __name__ == "__main__":
    sys.exit(main())
