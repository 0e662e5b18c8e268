"""``imported`` is what the recorded execution imported, for every install kind, and
unreadable metadata never costs a record. Packages are real: built here, installed into a
throwaway venv (tests/installs.py), recorded from real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from installs import (
    MAIN_SITE,
    SRC,
    build_editable,
    build_wheel,
    pip_install,
    project,
    run_recorded,
    venv,
)

PACKAGE = {"kindpkg/__init__.py": "VALUE = 3\n"}
APP = """
from cerkit.capture.recorder import record
import kindpkg

@record
def main():
    return kindpkg.VALUE
"""


def _record_here(tmp_path: Path, source: str) -> Any:
    return run_recorded(Path(sys.executable), tmp_path / "app", source)


def test_a_standard_library_function_imports_nothing_of_cerkits(tmp_path: Path) -> None:
    source = """
    import json
    from cerkit.capture.recorder import record

    @record
    def main():
        return json.dumps([1])
    """
    snapshot = _record_here(tmp_path, source)
    # cerkit loaded these and setuptools' start-up hook was loaded by site: none is the call's
    assert {"numpy", "orjson", "threadpoolctl", "_distutils_hack"} <= set(snapshot["modules"])
    assert snapshot["environment"]["imported"]["packages"] == {}
    assert snapshot["execution"]["userCode"]["files"].keys() == {"app.py", "run.py"}


def test_a_package_cerkit_loaded_first_counts_once_the_code_imports_it(tmp_path: Path) -> None:
    source = """
    from cerkit.capture.recorder import record
    import orjson  # loaded by cerkit before this line: the module still imports it

    @record
    def main():
        import numpy  # loaded by cerkit's fingerprint before the call
        return numpy.__name__ + orjson.__name__
    """
    snapshot = _record_here(tmp_path, source)
    assert snapshot["environment"]["imported"]["packages"].keys() == {"numpy", "orjson"}


def _install_kind(tmp_path: Path, kind: str) -> Path:
    python = venv(tmp_path / "venv")
    if kind == "wheel, hatchling (no top_level.txt)":
        folder = project(tmp_path, "kindpkg", "1.0", PACKAGE, packages=("kindpkg",))
        pip_install(python, str(build_wheel(folder, tmp_path / "dist")))
    elif kind == "editable, hatchling .pth":
        folder = project(tmp_path, "kindpkg", "1.0", PACKAGE, packages=("kindpkg",))
        pip_install(python, str(build_editable(folder, tmp_path / "dist", "hatchling.build")))
    elif kind == "editable, hatchling import hook (editables)":
        exact = "dev-mode-exact = true"
        folder = project(tmp_path, "kindpkg", "1.0", PACKAGE, packages=("kindpkg",), extra=exact)
        pip_install(python, str(build_editable(folder, tmp_path / "dist", "hatchling.build")))
    else:  # setuptools: a flat layout installs a meta-path finder with a module map
        folder = project(
            tmp_path, "kindpkg", "1.0", PACKAGE, backend="setuptools", packages=("kindpkg",)
        )
        wheel = build_editable(folder, tmp_path / "dist", "setuptools.build_meta")
        pip_install(python, str(wheel))
    return python


@pytest.mark.parametrize(
    "kind",
    [
        "wheel, hatchling (no top_level.txt)",
        "editable, hatchling .pth",
        "editable, hatchling import hook (editables)",
        "editable, setuptools import hook",
    ],
)
def test_every_install_kind_maps_to_its_distribution(tmp_path: Path, kind: str) -> None:
    python = _install_kind(tmp_path, kind)
    site = next((tmp_path / "venv" / "lib").glob("python*/site-packages"))
    if "hatchling" in kind:  # nothing but RECORD, a .pth file or a hook names the modules
        assert not list(site.glob("kindpkg-1.0.dist-info/top_level.txt"))
    snapshot = run_recorded(python, tmp_path / "app", APP)
    assert snapshot["environment"]["imported"]["packages"] == {"kindpkg": "1.0"}
    files = snapshot["execution"]["userCode"]["files"]
    editable = [path for path in files if path.endswith("kindpkg/__init__.py")]
    assert len(editable) == (0 if kind.startswith("wheel") else 1), files


def test_a_namespace_package_maps_to_the_distribution_that_holds_the_module(
    tmp_path: Path,
) -> None:
    python = venv(tmp_path / "venv")
    for name, part in (("acme-alpha", "alpha"), ("acme-beta", "beta")):
        files = {f"acme/{part}/__init__.py": f"NAME = {part!r}\n"}
        folder = project(tmp_path / "src", name, "2.0", files, packages=("acme",))
        pip_install(python, str(build_wheel(folder, tmp_path / "dist")))
    source = """
    from cerkit.capture.recorder import record
    import acme.alpha

    @record
    def main():
        return acme.alpha.NAME
    """
    snapshot = run_recorded(python, tmp_path / "app", source)
    assert snapshot["environment"]["imported"]["packages"] == {"acme-alpha": "2.0"}


def _break_metadata(site: Path) -> None:
    broken = site / "brokenrecord-1.0.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenrecord\nVersion: 1.0\n")
    (broken / "RECORD").write_bytes(b"brokenrecord/__init__.py,,\n\xff\xfe\x00bad\n")
    undecodable = site / "badmeta-2.0.dist-info"
    undecodable.mkdir()
    (undecodable / "METADATA").write_bytes(b"Metadata-Version: 2.1\nName: \xff\xfebad\n")


def test_unreadable_metadata_makes_that_package_unknown_never_a_lost_record(
    tmp_path: Path,
) -> None:
    python = _install_kind(tmp_path, "wheel, hatchling (no top_level.txt)")
    site = next((tmp_path / "venv" / "lib").glob("python*/site-packages"))
    _break_metadata(site)
    snapshot = run_recorded(python, tmp_path / "app", APP)
    installed = snapshot["environment"]["packages"]["installed"]
    assert installed["kindpkg"] == "1.0"
    assert "UnicodeDecodeError" in installed["brokenrecord"]["unknown"]
    assert "UnicodeDecodeError" in installed["badmeta"]["unknown"]
    assert snapshot["environment"]["imported"]["packages"] == {"kindpkg": "1.0"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = os.pathsep.join((SRC, MAIN_SITE))
    done = subprocess.run(
        [str(python), "-c", "from cerkit.cli import run; run()", "fingerprint", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    fingerprint = json.loads(done.stdout)
    assert "unknown" in fingerprint["packages"]["installed"]["brokenrecord"]
