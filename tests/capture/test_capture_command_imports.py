"""``cerkit record -- python prog.py`` records what the child imported, not the wrapper."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from installs import SRC

PROGRAM = """
import os, subprocess, sys
import helper

print(helper.VALUE)
grandchild = [sys.executable, "-c", "import os, sys; print(os.environ.get('PYTHONPATH'))"]
print(subprocess.run(grandchild, capture_output=True, text=True).stdout.strip())
"""


def _record(tmp_path: Path, *argv: str, program: str = PROGRAM) -> tuple[Any, str]:
    (tmp_path / "prog.py").write_text(textwrap.dedent(program))
    (tmp_path / "helper.py").write_text("import numpy\nVALUE = numpy.int64(7).item()\n")
    out = tmp_path / "record.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CERKIT"))}
    env.update(PYTHONPATH=SRC, CERKIT_STORE=str(tmp_path / "store.db"))
    cli = [sys.executable, "-c", "from cerkit.cli import run; run()"]
    done = subprocess.run(
        [*cli, "record", "--name", "prog", "--", *argv], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    exported = subprocess.run(
        [*cli, "records", "export", "-o", str(out)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert exported.returncode == 0, exported.stderr
    bundle = json.loads(out.read_text().splitlines()[-1])
    return bundle["snapshot"], done.stdout


def test_the_record_holds_what_the_python_child_imported(tmp_path: Path) -> None:
    snapshot, stdout = _record(tmp_path, sys.executable, "prog.py")
    assert stdout.splitlines()[0] == "7"
    imported = snapshot["environment"]["imported"]
    assert imported["packages"] == {"numpy": imported["packages"]["numpy"]}  # not orjson...
    assert snapshot["execution"]["userCode"]["files"].keys() == {"prog.py", "helper.py"}
    # the hook is gone for grandchildren: they see the PYTHONPATH the program was given
    assert stdout.splitlines()[1] == SRC


def test_a_child_that_ignores_pythonpath_leaves_imported_unknown(tmp_path: Path) -> None:
    snapshot, _ = _record(tmp_path, sys.executable, "-I", "-c", "print(1)")
    assert (
        "did not run site or ignored PYTHONPATH" in snapshot["environment"]["imported"]["unknown"]
    )


def test_a_program_that_is_not_python_has_unknown_imports(tmp_path: Path) -> None:
    snapshot, _ = _record(tmp_path, "sh", "-c", "echo hi")
    assert "not a Python program" in snapshot["environment"]["imported"]["unknown"]
