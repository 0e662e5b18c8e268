"""Seeds set through lazily imported modules, interpreter flags, the real locale and the
variables cerkit's own imports set: each recorded from a real subprocess."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from installs import run_recorded

SEEDS = """
import numpy as np  # numpy 2 loads numpy.random on first use, inside the call here
from cerkit.capture.recorder import record

@record
def legacy():
    np.random.seed(7)
    return float(np.random.rand())

@record
def generator():
    return float(np.random.default_rng(11).random())

@record
def stdlib_and_torch():
    import random

    import torch

    random.seed(3)
    torch.manual_seed(5)
    return random.random()
"""


def _run(tmp_path: Path, source: str, function: str = "main", **env: str) -> Any:
    return run_recorded(Path(sys.executable), tmp_path / function, source, function, env=env)


def test_a_seed_set_through_lazily_loaded_numpy_random_is_recorded(tmp_path: Path) -> None:
    legacy = _run(tmp_path, SEEDS, "legacy")
    assert "numpy.random" not in legacy["modules_before_call"]
    assert legacy["execution"]["seeds"] == {"random": None, "numpy": 7, "torch": None}
    generator = _run(tmp_path, SEEDS, "generator")
    assert generator["execution"]["seeds"]["numpy"] == 11


def test_random_and_torch_seeds_imported_inside_the_call_are_recorded(tmp_path: Path) -> None:
    snapshot = _run(tmp_path, SEEDS, "stdlib_and_torch")
    assert snapshot["execution"]["seeds"] == {"random": 3, "numpy": None, "torch": 5}


PLAIN = """
from cerkit.capture.recorder import record

@record
def main():
    return 1
"""


def test_interpreter_flags_and_x_options_are_recorded(tmp_path: Path) -> None:
    snapshot = run_recorded(
        Path(sys.executable), tmp_path / "app", PLAIN, interpreter=("-O", "-X", "dev")
    )
    python = snapshot["environment"]["python"]
    assert python["flags"]["optimize"] == 1 and python["flags"]["dev_mode"] is True
    assert python["xoptions"] == {"dev": True}
    plain = _run(tmp_path, PLAIN)["environment"]["python"]
    assert plain["flags"]["optimize"] == 0 and plain["xoptions"] == {}


def test_lang_c_utf8_is_read_as_c_utf8(tmp_path: Path) -> None:
    snapshot = _run(tmp_path, PLAIN, LANG="C.UTF-8", LC_ALL="")
    assert snapshot["environment"]["locale"]["locale"] == "C.UTF-8"
    assert snapshot["environment"]["locale"]["categories"]["LC_CTYPE"] == "C.UTF-8"


def test_variables_set_by_cerkits_own_imports_are_not_the_users(tmp_path: Path) -> None:
    snapshot = _run(tmp_path, PLAIN)
    assert "threadpoolctl" in snapshot["modules"]  # it sets KMP_DUPLICATE_LIB_OK on import
    part = snapshot["environment"]["envVars"]
    assert "KMP_DUPLICATE_LIB_OK" not in part["values"]
    assert "KMP_DUPLICATE_LIB_OK" in part["source"]  # said, outside the compared values
    users = _run(tmp_path / "set", PLAIN, KMP_DUPLICATE_LIB_OK="TRUE")
    assert users["environment"]["envVars"]["values"]["KMP_DUPLICATE_LIB_OK"] == "TRUE"
