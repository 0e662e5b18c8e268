"""Real programs, real records and a local wheel index for the confirmation scenarios.

A program is ``app.py`` (the recorded function) and ``run.py`` (calls it once and writes its
record) in a folder of its own, run in a subprocess with exactly the environment a scenario
gives it. Packages come from tiny projects built into wheels by setuptools' PEP 517 backend
(once per session) and served as a local index (``PIP_NO_INDEX=1``, ``PIP_FIND_LINKS``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any

import cerkit
from installs import project

CERKIT = str(Path(sys.executable).parent / "cerkit")
#: This checkout's sources, so every child process runs the code under test.
SRC = str(Path(cerkit.__file__).resolve().parent.parent)
RUNNER = """
import json, sys
from cerkit.capture.recorder import configure
configure(store=False)
import app
call = json.loads(sys.argv[2])
function = getattr(app, call["function"])
try:
    function(*call["args"])
except Exception:
    pass
with open(sys.argv[1], "w") as handle:
    json.dump(function.last_record, handle)
"""
HEADER = "from cerkit.capture.recorder import record\n"
_DROP = ("PYTHON", "OMP_", "CERKIT", "PIP_", "UV_", "LC_", "LANG", "TZ", "MYAPP_", "GIT_")

#: name -> {version: module source}; each becomes a wheel.
PROJECTS: dict[str, dict[str, str]] = {
    "tinypkg": {"1.0": "SCALE = 1.0\n", "2.0": "SCALE = 1.5\n"},
    "decoypkg": {"1.0": "LABEL = 'd1'\n", "1.1": "LABEL = 'd1.1'\n"},
    "defaultpkg": {"1.0": "THRESHOLD = 0.5\n", "2.0": "THRESHOLD = 0.7\n"},
    **{f"bis{i}": {v: f"EFFECT = 'bis{i}-{v}'\n" for v in ("1.0", "2.0")} for i in range(8)},
}
_BUILD = """
import contextlib, io, os, sys
from setuptools import build_meta
out = sys.argv[1]  # read first: the backend rewrites sys.argv
for project in sys.argv[2:]:
    os.chdir(project)
    with contextlib.redirect_stdout(io.StringIO()):
        build_meta.build_wheel(out)
"""


def build_wheels(root: Path) -> Path:
    """Build every project of :data:`PROJECTS` into ``root/wheels`` (one backend process)."""
    wheels = root / "wheels"
    wheels.mkdir(parents=True)
    projects = []
    for name, versions in PROJECTS.items():
        for version, source in versions.items():
            files = {f"{name}/__init__.py": source}
            folder = project(root / "projects", name, version, files, backend="setuptools",
                             packages=(name,))  # fmt: skip
            projects.append(str(folder))
    done = subprocess.run(
        [sys.executable, "-c", _BUILD, str(wheels), *projects],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return wheels


def install(site: Path, wheels: Path, *specs: str) -> Path:
    """Unpack the wheels ``name==version`` into ``site`` (a folder on PYTHONPATH), replacing
    any other version of the same names: the environment a recorded run sees."""
    site.mkdir(parents=True, exist_ok=True)
    for spec in specs:
        name, version = spec.split("==")
        for old in site.glob(f"{name}-*.dist-info"):
            _remove(old)
        _remove(site / name)
        with zipfile.ZipFile(wheels / f"{name}-{version}-py3-none-any.whl") as archive:
            archive.extractall(site)
    return site


def _remove(path: Path) -> None:
    if path.is_dir():
        for child in sorted(path.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
        path.rmdir()


def tree_digest(folder: Path) -> str:
    """One digest of every file under ``folder`` (names and bytes)."""
    digest = hashlib.sha256()
    for path in sorted(
        p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    ):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def environment(*paths: Path | str, **extra: str) -> dict[str, str]:
    """This process's environment without the variables scenarios control, this checkout
    (and ``paths``) on PYTHONPATH, a fixed hash seed and time zone, then ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROP)}
    env["PYTHONPATH"] = os.pathsep.join([SRC, *map(str, paths)])
    # No .pyc: a source rewritten within the same second at the same size ("x + 1" ->
    # "x + 2") would otherwise run from its stale bytecode (CPython checks mtime and size).
    env.update({"PYTHONHASHSEED": "0", "TZ": "UTC", "PYTHONDONTWRITEBYTECODE": "1"}, **extra)
    return env


def write_app(folder: Path, source: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(HEADER + textwrap.dedent(source))
    (folder / "run.py").write_text(RUNNER)
    return folder


def record(
    folder: Path,
    out: Path,
    function: str,
    args: list[Any],
    env: dict[str, str],
    *,
    flags: tuple[str, ...] = (),
) -> Path:
    """Run ``function(*args)`` of ``folder/app.py`` once in a subprocess; its record."""
    call = json.dumps({"function": function, "args": args})
    done = subprocess.run(
        [sys.executable, *flags, "run.py", str(out), call],
        cwd=folder, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0 and out.exists(), done.stderr
    return out


def cerkit_json(args: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run ``cerkit ARGS --json`` and parse its one JSON object."""
    done = subprocess.run(
        [CERKIT, *args, "--json"], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def confirm(a: Path, b: Path, cwd: Path, env: dict[str, str], *extra: str) -> dict[str, Any]:
    """``cerkit explain A B --confirm --json``, re-run records kept under ``cwd``."""
    store = str(cwd.parent / "replays.db")
    return cerkit_json(
        ["explain", str(a), str(b), "--confirm", "--replay-store", store, *extra], cwd, env
    )


def outcomes(result: dict[str, Any]) -> dict[str, str]:
    """``category:subject`` -> outcome of a confirmation's JSON."""
    return {f"{c['category']}:{c['subject']}": c["outcome"] for c in result["candidates"]}


def git(folder: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}  # fmt: skip
    done = subprocess.run(["git", *args], cwd=folder, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
