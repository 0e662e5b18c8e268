"""``pip install cerkit`` without extras, as a user gets it: the wheel built from this tree,
installed into a fresh virtualenv with only the core dependencies.

``verify``, ``seal``, ``canonical`` and ``diff`` work; every verb that needs an extra names it
(``MISSING_EXTRA``, ``pip install 'cerkit[node]'``), exit 3, never an ImportError. The core
dependencies come from the package registry as wheels (``pip download``) into a wheelhouse
the install then reads with ``--no-index``: nothing else reaches the new environment.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]


def _core_dependencies() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return list(tomllib.load(handle)["project"]["dependencies"])


def _build_wheel(out: Path) -> Path:
    """The wheel of this tree, built from a copy (the build leaves ``build/`` and an
    ``egg-info`` beside the sources)."""
    tree = out / "tree"
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        tree.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "src", tree / "src", ignore=ignore)
    done = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=tree, env=_user_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (wheel,) = out.glob("cerkit-*.whl")
    return wheel


@pytest.fixture(scope="module")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh virtualenv holding cerkit and its core dependencies only; its ``bin``."""
    work = tmp_path_factory.mktemp("core-install")
    wheelhouse = work / "wheelhouse"
    fetched = subprocess.run(
        [*PIP, "download", "-q", "--only-binary", ":all:", "-d", str(wheelhouse),
         *_core_dependencies()],
        env=_user_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if fetched.returncode != 0:
        pytest.skip(f"the core dependencies cannot be fetched as wheels: {fetched.stderr[-300:]}")
    wheel = _build_wheel(work / "dist")
    venv = work / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], env=_user_env(), check=True
    )
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [*PIP, "--python", str(python), "install", "-q", "--no-index", "--find-links",
         str(wheelhouse), str(wheel)],
        env=_user_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr[-2000:]
    yield venv / "bin"


def _user_env() -> dict[str, str]:
    """This environment as a user's shell would have it: no source tree on the path, no
    cerkit settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CERKIT_", "PYTHON"))}
    return env


def _cerkit(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(bin_dir / "cerkit"), *args],
        cwd=cwd, env=_user_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


ARGS = {
    "executionId": "core-1",
    "provider": "local",
    "model": "m",
    "prompt": "p",
    "input": "question",
    "output": "answer",
    "parameters": {"temperature": 0, "maxTokens": 8},
}


def test_the_core_install_holds_no_extra(core_venv: Path, tmp_path: Path) -> None:
    probe = "import importlib.util as u; print([m for m in ('httpx', 'starlette', 'numpy', " \
        "'threadpoolctl', 'psycopg') if u.find_spec(m)])"  # fmt: skip
    done = subprocess.run(
        [str(core_venv / "python"), "-c", probe], cwd=tmp_path, env=_user_env(),
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout.strip() == "[]"
    where = subprocess.run(
        [str(core_venv / "python"), "-c", "import cerkit; print(cerkit.__file__)"],
        cwd=tmp_path, env=_user_env(), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert where.stdout.startswith(str(core_venv.parent)), where.stdout


def test_seal_verify_canonical_and_diff_work_without_extras(
    core_venv: Path, tmp_path: Path
) -> None:
    (tmp_path / "args.json").write_text(json.dumps(ARGS))
    sealed = _cerkit(core_venv, tmp_path, "seal", "args.json")
    assert sealed.returncode == 0, sealed.stderr
    (tmp_path / "record.json").write_text(sealed.stdout)
    verified = _cerkit(core_venv, tmp_path, "verify", "record.json")
    assert verified.returncode == 0 and verified.stdout.startswith("VERIFIED"), verified.stderr
    canonical = _cerkit(core_venv, tmp_path, "canonical", "args.json")
    assert canonical.returncode == 0 and canonical.stdout.startswith('{"executionId":"core-1"')
    other = {**ARGS, "output": "another answer"}
    (tmp_path / "other.json").write_text(json.dumps(other))
    (tmp_path / "b.json").write_text(_cerkit(core_venv, tmp_path, "seal", "other.json").stdout)
    diff = _cerkit(core_venv, tmp_path, "diff", "record.json", "b.json")
    assert diff.returncode in (0, 1), diff.stderr
    assert "Traceback" not in diff.stderr and "output" in diff.stdout
    completion = _cerkit(core_venv, tmp_path, "completion", "bash")
    assert completion.returncode == 0 and "_shtab_cerkit" in completion.stdout


@pytest.mark.parametrize(
    ("argv", "extras"),
    [
        (["node", "serve", "--port", "0"], "node"),
        (["ui", "--port", "0"], "node"),
        (["attest", "--node", "http://127.0.0.1:9", "--token", "t", "record.json"], "node"),
        (["verify", "--node", "http://127.0.0.1:9", "record.json"], "node"),
        (["log", "audit", "--node", "http://127.0.0.1:9"], "node"),
        (["demo"], "capture,ml,node,openai"),
    ],
)
def test_a_verb_that_needs_an_extra_names_it(
    core_venv: Path, tmp_path: Path, argv: list[str], extras: str
) -> None:
    (tmp_path / "args.json").write_text(json.dumps(ARGS))
    (tmp_path / "record.json").write_text(_cerkit(core_venv, tmp_path, "seal", "args.json").stdout)
    done = _cerkit(core_venv, tmp_path, *argv)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"cerkit: MISSING_EXTRA: cerkit {argv[0]} needs "), last
    assert f"pip install 'cerkit[{extras}]'" in last
