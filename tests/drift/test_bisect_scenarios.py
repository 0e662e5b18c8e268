"""Package versions: confirmation and bisection in throwaway overlays, on REAL records.

The recorded programs see their packages in a folder on PYTHONPATH (the "site"); the two
records differ by what that folder held. Overlays are built by pip from the session's local
wheel index (``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS``), never in the site itself.
"""

from __future__ import annotations

import math
from pathlib import Path

from rerun_kit import (
    cerkit_json,
    confirm,
    environment,
    install,
    outcomes,
    record,
    tree_digest,
    write_app,
)

USES_TINYPKG = """
import decoypkg
import tinypkg

@record
def predict(x):
    return [round(x * tinypkg.SCALE, 6), len(decoypkg.__name__)]
"""


def _index(wheels: Path, **extra: str) -> dict[str, str]:
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheels), **extra}


def _tiny_upgrade(tmp_path: Path, wheels: Path) -> tuple[Path, Path, Path, Path]:
    """A recorded with tinypkg 1.0 in the site, B after the site moved to 2.0."""
    site = install(tmp_path / "site", wheels, "tinypkg==1.0", "decoypkg==1.0")
    app = write_app(tmp_path / "app", USES_TINYPKG)
    a = record(app, tmp_path / "a.json", "predict", [2.0], environment(site))
    install(site, wheels, "tinypkg==2.0")
    b = record(app, tmp_path / "b.json", "predict", [2.0], environment(site))
    return site, app, a, b


def test_an_imported_package_upgrade_is_confirmed_and_the_decoys_refuted(
    tmp_path: Path, wheelhouse: Path
) -> None:
    site = install(tmp_path / "site", wheelhouse, "tinypkg==1.0", "decoypkg==1.0")
    app = write_app(tmp_path / "app", USES_TINYPKG)
    a = record(app, tmp_path / "a.json", "predict", [2.0], environment(site, OMP_NUM_THREADS="1"))
    install(site, wheelhouse, "tinypkg==2.0", "decoypkg==1.1")
    env_b = environment(site, OMP_NUM_THREADS="2", **_index(wheelhouse))
    b = record(app, tmp_path / "b.json", "predict", [2.0], env_b)
    before = tree_digest(site)
    found = confirm(a, b, app, env_b)["confirmation"]
    assert found["reproduces"] == "B"
    assert found["confirmed"] == ["dependency:tinypkg"]
    assert outcomes(found)["dependency:decoypkg"] == "REFUTED"
    assert outcomes(found)["environment:OMP_NUM_THREADS"] == "REFUTED"
    flip = next(c for c in found["candidates"] if c["subject"] == "tinypkg")
    assert flip["setting"] == {"packages": {"tinypkg": "1.0"}}
    assert tree_digest(site) == before, "the user's environment is never installed into"


def test_when_the_current_environment_holds_the_old_version_the_flip_goes_forward(
    tmp_path: Path, wheelhouse: Path
) -> None:
    site, app, a, b = _tiny_upgrade(tmp_path, wheelhouse)
    install(site, wheelhouse, "tinypkg==1.0")  # rolled back since B was recorded
    found = confirm(a, b, app, environment(site, **_index(wheelhouse)))["confirmation"]
    assert found["reproduces"] == "A"
    # The records' conditions agree, so the one reproducing run answers for both.
    first = found["runs"][0]
    assert (first["purpose"], first["matches"]) == ("reproduce B", "A")
    assert found["reruns"] == 2
    assert found["confirmed"] == ["dependency:tinypkg"]
    assert found["candidates"][0]["setting"] == {"packages": {"tinypkg": "2.0"}}


def test_a_version_the_index_does_not_hold_is_not_testable(
    tmp_path: Path, wheelhouse: Path
) -> None:
    site, app, a, b = _tiny_upgrade(tmp_path, wheelhouse)
    empty = tmp_path / "empty-index"
    empty.mkdir()
    found = confirm(a, b, app, environment(site, **_index(empty)))["confirmation"]
    (tiny,) = found["candidates"]
    assert tiny["outcome"] == "NOT_TESTABLE"
    assert "pip could not install tinypkg==1.0" in tiny["reason"]


SHIFTED_BY_PACKAGE = """
import defaultpkg

@record
def accept(x, threshold=defaultpkg.THRESHOLD):
    return x > threshold
"""


def test_a_default_shifted_by_a_package_confirms_both_the_package_and_the_default(
    tmp_path: Path, wheelhouse: Path
) -> None:
    site = install(tmp_path / "site", wheelhouse, "defaultpkg==1.0")
    app = write_app(tmp_path / "app", SHIFTED_BY_PACKAGE)
    a = record(app, tmp_path / "a.json", "accept", [0.6], environment(site))
    install(site, wheelhouse, "defaultpkg==2.0")
    env_b = environment(site, **_index(wheelhouse))
    b = record(app, tmp_path / "b.json", "accept", [0.6], env_b)
    found = confirm(a, b, app, env_b)["confirmation"]
    assert set(found["confirmed"]) == {"parameter-default:threshold", "dependency:defaultpkg"}


USES_ONE_OF_EIGHT = """
import bis0, bis1, bis2, bis3, bis4, bis5, bis6, bis7

@record
def effect(x):
    return [x, bis{culprit}.EFFECT]
"""


def _upgrade(tmp_path: Path, wheels: Path, culprit: int) -> tuple[Path, Path, Path, Path]:
    names = [f"bis{i}" for i in range(8)]
    site = install(tmp_path / "site", wheels, *(f"{n}==1.0" for n in names))
    app = write_app(tmp_path / "app", USES_ONE_OF_EIGHT.format(culprit=culprit))
    a = record(app, tmp_path / "a.json", "effect", [1], environment(site))
    install(site, wheels, *(f"{n}==2.0" for n in names))
    b = record(app, tmp_path / "b.json", "effect", [1], environment(site))
    return site, app, a, b


def test_bisection_finds_the_culprit_among_eight_upgrades_in_log2_n_plus_2_runs(
    tmp_path: Path, wheelhouse: Path
) -> None:
    site, app, a, b = _upgrade(tmp_path, wheelhouse, culprit=5)
    before = tree_digest(site)
    env = environment(site, **_index(wheelhouse))
    store = str(tmp_path / "replays.db")
    out = tmp_path / "verdict.json"
    result = cerkit_json(
        ["bisect", str(a), str(b), "--replay-store", store, "--out", str(out)], app, env
    )
    found = result["confirmation"]
    assert found["mode"] == "bisect"
    assert found["confirmed"] == ["dependency:bis5"]
    assert found["reruns"] <= math.ceil(math.log2(8)) + 2
    assert tree_digest(site) == before
    refuted = [c["subject"] for c in found["candidates"] if c["outcome"] == "REFUTED"]
    assert refuted, "packages flipped without moving the output are refuted"
    verified = cerkit_json(["verify", str(out)], app, env)
    assert verified["verdict"] == "VERIFIED"


def test_bisection_of_the_first_package_needs_fewest_runs(tmp_path: Path, wheelhouse: Path) -> None:
    _site, app, a, b = _upgrade(tmp_path, wheelhouse, culprit=0)
    env = environment(tmp_path / "site", **_index(wheelhouse))
    found = cerkit_json(
        ["bisect", str(a), str(b), "--replay-store", str(tmp_path / "r.db")], app, env
    )["confirmation"]
    assert found["confirmed"] == ["dependency:bis0"]
    assert found["reruns"] <= math.ceil(math.log2(8)) + 1
