"""Real packages for the capture tests: built here, installed into a throwaway venv.

Nothing comes from the network: projects are written by the test, built with the shared
venv's own build backends (``--no-build-isolation``: hatchling, setuptools, editables) and
installed with ``pip --python VENV/bin/python --no-index``. The venv sees cerkit and its
dependencies through ``PYTHONPATH`` (not as a site folder, so their ``.pth`` files stay out).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path
from typing import Any

SRC = str(Path(__file__).resolve().parents[1] / "src")
MAIN_SITE = sysconfig.get_paths()["purelib"]

HATCH = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"

[tool.hatch.build.targets.wheel]
packages = [{packages}]
{extra}
"""
SETUPTOOLS = """
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{name}"
version = "{version}"

[tool.setuptools]
packages = [{packages}]
"""


def project(
    root: Path, name: str, version: str, files: dict[str, str], *, backend: str = "hatch",
    packages: tuple[str, ...] = (), extra: str = "",
) -> Path:  # fmt: skip
    """Write a project folder ``root/name`` with ``files`` (path -> source)."""
    folder = root / f"{name}-{version}"
    template = HATCH if backend == "hatch" else SETUPTOOLS
    listed = ", ".join(f'"{p}"' for p in packages)
    pyproject = template.format(name=name, version=version, packages=listed, extra=extra)
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(pyproject)
    for path, source in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source))
    return folder


def venv(root: Path) -> Path:
    """A fresh venv without pip; returns its interpreter."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    return root / "bin" / "python"


def pip_install(python: Path, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index",
         "--no-deps", "--no-build-isolation", "--disable-pip-version-check", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def build_wheel(folder: Path, out: Path) -> Path:
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-index", "--no-deps",
         "--no-build-isolation", "-w", str(out), str(folder)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return next(out.glob(f"{folder.name.rsplit('-', 1)[0].replace('-', '_')}-*.whl"))


def build_editable(folder: Path, out: Path, backend: str) -> Path:
    """An editable wheel (PEP 660) of ``folder``, built by this interpreter's ``backend``."""
    from pyproject_hooks import BuildBackendHookCaller

    out.mkdir(parents=True, exist_ok=True)
    caller = BuildBackendHookCaller(str(folder), backend, python_executable=sys.executable)
    return out / caller.build_editable(str(out))


RUNNER = """
import json, sys
from cerkit.capture.recorder import configure
configure(store=False)
import app
before = sorted(sys.modules)
getattr(app, sys.argv[2])()
record = getattr(app, sys.argv[2]).last_record
with open(sys.argv[1], "w") as handle:
    written = {"snapshot": record["snapshot"], "modules": sorted(sys.modules), "before": before}
    json.dump(written, handle)
"""


def run_recorded(
    python: Path, folder: Path, source: str, function: str = "main", *,
    env: dict[str, str] | None = None, interpreter: tuple[str, ...] = (),
) -> Any:  # fmt: skip
    """Record ``app.<function>()`` with ``python`` in ``folder``: the record's snapshot, with
    the modules loaded in that process at the end under ``"modules"`` (and before the call
    under ``"modules_before_call"``). ``env`` adds variables; ``interpreter`` adds flags."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(textwrap.dedent(source))
    (folder / "run.py").write_text(RUNNER)
    out = folder / "record.json"
    # KMP_*: threadpoolctl sets one in this test process; the child starts without it.
    prefixes = ("PYTHON", "CERKIT", "KMP_")
    variables = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    variables["PYTHONPATH"] = os.pathsep.join((SRC, MAIN_SITE))
    variables.update(env or {})
    done = subprocess.run(
        [str(python), *interpreter, "run.py", str(out), function], cwd=folder, env=variables,
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = json.loads(out.read_text())
    snapshot = written["snapshot"]
    return {**snapshot, "modules": written["modules"], "modules_before_call": written["before"]}
