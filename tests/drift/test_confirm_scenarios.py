"""Confirmation by re-execution on REAL records: one real cause, decoys that do not move the
output, and ``cerkit explain A B --confirm`` must confirm the cause and refute the decoys.

Every record comes from a subprocess (rerun_kit.record); every re-run is a fresh interpreter
started by cerkit itself. Package scenarios are in test_bisect_scenarios.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from rerun_kit import confirm, environment, git, outcomes, record, write_app

SET_ORDER = """
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu".split()

@record
def pick(n):
    return list(set(WORDS))[:n]  # set order follows the string hash seed
"""


def test_hash_seed_is_confirmed_and_the_thread_count_decoy_refuted(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", SET_ORDER)
    a = record(
        app, tmp_path / "a.json", "pick", [6], environment(PYTHONHASHSEED="1", OMP_NUM_THREADS="1")
    )
    env_b = environment(PYTHONHASHSEED="2", OMP_NUM_THREADS="2")
    b = record(app, tmp_path / "b.json", "pick", [6], env_b)
    result = confirm(a, b, app, env_b)
    found = result["confirmation"]
    assert found["verdict"] == "CONFIRMED"
    assert found["reproduces"] == "B"
    assert outcomes(found)["environment:PYTHONHASHSEED"] == "CONFIRMED"
    assert outcomes(found)["environment:OMP_NUM_THREADS"] == "REFUTED"
    assert found["confirmed"] == ["environment:PYTHONHASHSEED"]
    assert found["reruns"] == len(found["runs"]) == 3
    assert "3 re-runs" in found["summary"]


TIME_ZONE = """
import time

@record
def stamp(seconds):
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))
"""


def test_time_zone_is_confirmed_among_decoy_variables(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", TIME_ZONE)
    a = record(app, tmp_path / "a.json", "stamp", [0], environment(TZ="UTC", OMP_NUM_THREADS="1"))
    env_b = environment(TZ="Asia/Tokyo", OMP_NUM_THREADS="3", PYTHONHASHSEED="5")
    b = record(app, tmp_path / "b.json", "stamp", [0], env_b)
    found = confirm(a, b, app, env_b)["confirmation"]
    assert outcomes(found)["environment:TZ"] == "CONFIRMED"
    assert outcomes(found)["environment:PYTHONHASHSEED"] == "REFUTED"
    assert outcomes(found)["environment:OMP_NUM_THREADS"] == "REFUTED"


THREADS = """
import os

VALUES = [0.1 * (i % 7) + 1e-9 * i for i in range(1000)]

@record
def total(scale):
    # The sum is cut into one chunk per thread: float addition is not associative.
    chunks = int(os.environ.get("OMP_NUM_THREADS", "1"))
    size = -(-len(VALUES) // chunks)
    return sum(sum(VALUES[i:i + size]) for i in range(0, len(VALUES), size)) * scale
"""


def test_thread_count_is_confirmed_and_the_hash_seed_decoy_refuted(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", THREADS)
    a = record(app, tmp_path / "a.json", "total", [1.0], environment(OMP_NUM_THREADS="1"))
    env_b = environment(OMP_NUM_THREADS="7", PYTHONHASHSEED="9")
    b = record(app, tmp_path / "b.json", "total", [1.0], env_b)
    found = confirm(a, b, app, env_b)["confirmation"]
    assert found["confirmed"] == ["environment:OMP_NUM_THREADS"]
    assert outcomes(found)["environment:PYTHONHASHSEED"] == "REFUTED"


LOCALE = """
import sys

@record
def encoded(text):
    return list(text.encode(sys.getfilesystemencoding(), "replace"))
"""


def test_a_locale_variable_is_confirmed(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", LOCALE)
    env_a = environment(LC_ALL="C.UTF-8", PYTHONUTF8="1")
    a = record(app, tmp_path / "a.json", "encoded", ["é"], env_a)
    env_b = environment(LC_ALL="C.UTF-8", PYTHONUTF8="0", OMP_NUM_THREADS="2")
    env_b["LC_ALL"] = "C"
    b = record(app, tmp_path / "b.json", "encoded", ["é"], env_b)
    found = confirm(a, b, app, env_b)["confirmation"]
    confirmed = set(found["confirmed"])
    assert confirmed & {"environment:PYTHONUTF8", "environment:LC_ALL"}, found
    assert outcomes(found)["environment:OMP_NUM_THREADS"] == "REFUTED"


CUSTOM = """
import os

@record
def mode(x):
    return x * (2 if os.environ.get("MYAPP_MODE") == "double" else 1)
"""


def test_an_allowlisted_application_variable_is_confirmed(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", CUSTOM)
    allow = {"CERKIT_ENV_ALLOWLIST": "MYAPP_*"}
    a = record(
        app,
        tmp_path / "a.json",
        "mode",
        [21],
        environment(MYAPP_MODE="single", MYAPP_X="1", **allow),
    )
    env_b = environment(MYAPP_MODE="double", MYAPP_X="2", **allow)
    b = record(app, tmp_path / "b.json", "mode", [21], env_b)
    found = confirm(a, b, app, env_b)["confirmation"]
    assert found["confirmed"] == ["environment:MYAPP_MODE"]
    assert outcomes(found)["environment:MYAPP_X"] == "REFUTED"


def test_an_edit_of_the_entry_point_is_confirmed_by_restoring_it_from_git(tmp_path: Path) -> None:
    app = write_app(tmp_path / "repo" / "app", "@record\ndef bump(x):\n    return x + 1\n")
    git(tmp_path / "repo", "init", "-q")
    git(tmp_path / "repo", "add", ".")
    git(tmp_path / "repo", "commit", "-qm", "v1")
    a = record(app, tmp_path / "a.json", "bump", [41], environment(OMP_NUM_THREADS="1"))
    (app / "app.py").write_text((app / "app.py").read_text().replace("x + 1", "x + 2"))
    git(tmp_path / "repo", "commit", "-qam", "v2")
    env_b = environment(OMP_NUM_THREADS="2")
    b = record(app, tmp_path / "b.json", "bump", [41], env_b)
    found = confirm(a, b, app, env_b)["confirmation"]
    assert "code:app:bump" in found["confirmed"], found
    assert outcomes(found)["environment:OMP_NUM_THREADS"] == "REFUTED"
    restored = next(c for c in found["candidates"] if c["subject"] == "app:bump")
    assert restored["kind"] == "file"
    assert "x + 2" in (app / "app.py").read_text(), "the user's file is never touched"


def test_an_edit_that_git_does_not_hold_is_not_testable(tmp_path: Path) -> None:
    app = write_app(tmp_path / "repo" / "app", "@record\ndef bump(x):\n    return x + 1\n")
    git(tmp_path / "repo", "init", "-q")
    git(tmp_path / "repo", "add", ".")
    git(tmp_path / "repo", "commit", "-qm", "v1")
    (app / "app.py").write_text((app / "app.py").read_text().replace("x + 1", "x + 3"))
    a = record(app, tmp_path / "a.json", "bump", [1], environment())  # uncommitted edit
    (app / "app.py").write_text((app / "app.py").read_text().replace("x + 3", "x + 4"))
    b = record(app, tmp_path / "b.json", "bump", [1], environment())
    found = confirm(a, b, app, environment())["confirmation"]
    code = next(c for c in found["candidates"] if c["subject"] == "app:bump")
    assert code["outcome"] == "NOT_TESTABLE"
    assert "git holds no version of app/app.py" in code["reason"]


DEFAULTS = """
@record
def score(x, threshold={}):
    return x > threshold
"""


def test_a_shifted_default_is_confirmed_by_passing_the_old_value(tmp_path: Path) -> None:
    app = write_app(tmp_path / "v1", DEFAULTS.format(0.5))
    a = record(app, tmp_path / "a.json", "score", [0.6], environment())
    app = write_app(tmp_path / "v2", DEFAULTS.format(0.7))
    b = record(app, tmp_path / "b.json", "score", [0.6], environment(TZ="Europe/Paris"))
    found = confirm(a, b, app, environment(TZ="Europe/Paris"))["confirmation"]
    assert outcomes(found)["parameter-default:threshold"] == "CONFIRMED"
    assert outcomes(found)["environment:TZ"] == "REFUTED"
    code = next(c for c in found["candidates"] if c["category"] == "code")
    assert code["outcome"] == "NOT_TESTABLE"  # not in a git repository: cannot restore
    flip = next(c for c in found["candidates"] if c["category"] == "parameter-default")
    assert flip["setting"] == {"kwargs": {"threshold": 0.5}}


UNSEEDED = """
import random

@record
def sample(n):
    return [random.random() for _ in range(n)]
"""


def test_nondeterminism_reproduces_neither_record_and_tests_nothing(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", UNSEEDED)
    a = record(app, tmp_path / "a.json", "sample", [2], environment(OMP_NUM_THREADS="1"))
    b = record(app, tmp_path / "b.json", "sample", [2], environment(OMP_NUM_THREADS="2"))
    found = confirm(a, b, app, environment())["confirmation"]
    assert found["verdict"] == "NOT_REPRODUCED"
    assert found["reruns"] == 2
    assert {c["outcome"] for c in found["candidates"]} == {"NOT_TESTABLE"}
    assert "reproduces neither" in found["notes"][0]


DIGEST_ONLY = """
import os

@record(content=False)
def size(blob):
    return len(blob) * int(os.environ.get("OMP_NUM_THREADS", "1"))
"""


def test_inputs_recorded_by_digest_only_are_not_testable_with_the_reason(tmp_path: Path) -> None:
    write_app(tmp_path / "app", DIGEST_ONLY)
    (tmp_path / "app" / "run.py").write_text(
        "import json, sys\nfrom cerkit.capture.recorder import configure\nconfigure(store=False)\n"
        "import app\napp.size(b'x' * 64)\njson.dump(app.size.last_record, open(sys.argv[1], 'w'))\n"
    )
    app = tmp_path / "app"
    a = record(app, tmp_path / "a.json", "size", [], environment(OMP_NUM_THREADS="1"))
    b = record(app, tmp_path / "b.json", "size", [], environment(OMP_NUM_THREADS="2"))
    found = confirm(a, b, app, environment(OMP_NUM_THREADS="2"))["confirmation"]
    assert found["reruns"] == 0
    (variable,) = [c for c in found["candidates"] if c["subject"] == "OMP_NUM_THREADS"]
    assert variable["outcome"] == "NOT_TESTABLE"
    assert "does not hold its inputs" in variable["reason"]


WEIGHTS = """
@record(model="weights.bin")
def predict(x):
    with open("weights.bin", "rb") as handle:
        return x * handle.read()[0]
"""


def test_new_model_weights_are_not_testable_and_say_why(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", WEIGHTS)
    (app / "weights.bin").write_bytes(b"\x02")
    a = record(app, tmp_path / "a.json", "predict", [3], environment(OMP_NUM_THREADS="1"))
    (app / "weights.bin").write_bytes(b"\x05")
    env_b = environment(OMP_NUM_THREADS="2")
    b = record(app, tmp_path / "b.json", "predict", [3], env_b)
    found = confirm(a, b, app, env_b)["confirmation"]
    model = next(c for c in found["candidates"] if c["category"] == "model")
    assert model["outcome"] == "NOT_TESTABLE"
    assert "provider-side or built by the code" in model["reason"]
    assert outcomes(found)["environment:OMP_NUM_THREADS"] == "REFUTED"
    assert found["verdict"] == "NOT_CONFIRMED"


def test_a_recorded_command_is_re_run_and_its_cause_confirmed(tmp_path: Path) -> None:
    folder = tmp_path / "cmd"
    folder.mkdir()
    (folder / "prog.py").write_text(
        "words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split()\n"
        "print(list(set(words))[:5])\n"
    )

    def recorded(out: str, env: dict[str, str]) -> Path:
        # What `cerkit record -- python prog.py` runs, with the record written to a file.
        script = (
            "import json, sys\nfrom cerkit.capture.command import run_command\n"
            "result = run_command([sys.executable, 'prog.py'], store=False)\n"
            f"json.dump(result.bundle, open({out!r}, 'w'))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=folder, env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return folder / out

    a = recorded("a.json", environment(PYTHONHASHSEED="1", OMP_NUM_THREADS="1"))
    env_b = environment(PYTHONHASHSEED="2", OMP_NUM_THREADS="4")
    b = recorded("b.json", env_b)
    found = confirm(a, b, folder, env_b)["confirmation"]
    assert found["confirmed"] == ["environment:PYTHONHASHSEED"], found
    assert outcomes(found)["environment:OMP_NUM_THREADS"] == "REFUTED"


def test_the_budget_stops_the_flips_and_leaves_them_not_testable(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", SET_ORDER)
    env_a = environment(PYTHONHASHSEED="1", OMP_NUM_THREADS="1", TZ="UTC")
    a = record(app, tmp_path / "a.json", "pick", [6], env_a)
    env_b = environment(PYTHONHASHSEED="2", OMP_NUM_THREADS="2", TZ="Asia/Tokyo")
    b = record(app, tmp_path / "b.json", "pick", [6], env_b)
    found = confirm(a, b, app, env_b, "--budget", "0.01")["confirmation"]
    assert found["reruns"] == 1  # the reproducing run starts whatever the budget
    testable = [c for c in found["candidates"] if c["kind"]]
    assert len(testable) >= 3  # three variables (and the time zone they set)
    assert all(c["outcome"] == "NOT_TESTABLE" and "budget" in c["reason"] for c in testable)


def test_re_runs_are_replay_records_kept_out_of_the_drift_timeline(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", SET_ORDER)
    a = record(app, tmp_path / "a.json", "pick", [4], environment(PYTHONHASHSEED="1"))
    env_b = environment(PYTHONHASHSEED="3")
    b = record(app, tmp_path / "b.json", "pick", [4], env_b)
    env_b["CERKIT_STORE"] = str(tmp_path / "main.db")
    result = confirm(a, b, app, env_b, "--out", str(tmp_path / "verdict.json"))
    replays = result["replayStore"]
    verdict = json.loads((tmp_path / "verdict.json").read_text())
    hashes = verdict["snapshot"]["execution"]["replays"]
    assert hashes == [run["record"] for run in result["confirmation"]["runs"]]
    from cerkit.ledger import open_record_store

    store = open_record_store(replays)
    try:
        stored = [store.get(h) for h in hashes]
    finally:
        store.close()
    assert all(
        r is not None and r["meta"]["replay"]["of"] == json.loads(b.read_text())["certificateHash"]
        for r in stored
    )
    main = tmp_path / "main.db"
    assert not main.exists(), "nothing was written to the ledger drift reads"


ASSERTS = """
@record
def checked(x):
    try:
        assert x < 0, "negative only"
        return "checked"
    except AssertionError:
        return "rejected"
"""


def test_an_interpreter_flag_is_confirmed(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", ASSERTS)
    a = record(app, tmp_path / "a.json", "checked", [1], environment(OMP_NUM_THREADS="1"))
    env_b = environment(OMP_NUM_THREADS="2")
    b = record(app, tmp_path / "b.json", "checked", [1], env_b, flags=("-O",))
    if "flags" not in json.loads(b.read_text())["snapshot"]["environment"]["python"]:
        pytest.skip("this capture does not record interpreter flags yet (issue 11, item 1)")
    found = confirm(a, b, app, env_b)["confirmation"]
    assert found["reproduces"] == "B"  # re-run under B's flags, though this process has none
    assert "-O" in found["runs"][0]["setting"]["flags"]
    assert found["confirmed"] == ["runtime:python.flags.optimize"], found
    assert outcomes(found)["environment:OMP_NUM_THREADS"] == "REFUTED"


def test_an_edit_of_a_helper_module_is_confirmed_by_restoring_the_file(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    app = write_app(repo, "import helper\n\n@record\ndef run(x):\n    return helper.twice(x)\n")
    (repo / "helper.py").write_text("def twice(x):\n    return 2 * x\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "v1")
    a = record(app, tmp_path / "a.json", "run", [21], environment(TZ="UTC"))
    (repo / "helper.py").write_text("def twice(x):\n    return 2 * x + 1\n")
    git(repo, "commit", "-qam", "v2")
    env_b = environment(TZ="Asia/Tokyo")
    b = record(app, tmp_path / "b.json", "run", [21], env_b)
    if "userCode" not in json.loads(b.read_text())["snapshot"]["execution"]:
        pytest.skip("this capture does not digest the user's files yet (issue 11, item 1)")
    found = confirm(a, b, app, env_b)["confirmation"]
    assert found["confirmed"] == ["code:helper.py"], found
    assert outcomes(found)["environment:TZ"] == "REFUTED"
