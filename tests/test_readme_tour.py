"""The README's tour, run top to bottom as written, in a fresh folder, as a user would.

The tour is the README's fenced blocks marked for it: ``<!-- tour -->`` before a shell block
runs it, ``<!-- tour: FILE -->`` before any other block writes its text to FILE. The blocks
are read from the README at test time, so the test breaks when the README changes without
the commands still working. ``cerkit`` and ``python`` on the PATH are this tree's (what
``. .venv/bin/activate`` gives after ``make demo``).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_BLOCK = re.compile(r"^<!-- tour(?::\s*(?P<file>\S+))?\s*-->\n```(?P<lang>\w*)\n(?P<body>.*?)^```$",
                    re.M | re.S)  # fmt: skip


def tour_script(readme: str) -> str:
    """The tour as one bash script: file blocks become here-documents, shell blocks run."""
    lines = ["set -euo pipefail", "set -x"]
    for block in _BLOCK.finditer(readme):
        body, name = block["body"], block["file"]
        if name is not None:
            lines += [f"cat > {name} <<'CERKIT_TOUR_EOF'", body.rstrip("\n"), "CERKIT_TOUR_EOF"]
        else:
            assert block["lang"] == "sh", f"a tour block to run must be sh: {body[:60]!r}"
            lines.append(body)
    return "\n".join(lines) + "\n"


def _path_with_this_tree(bin_dir: Path) -> dict[str, str]:
    bin_dir.mkdir()
    for name, command in (("cerkit", "-m cerkit"), ("python", "")):
        shim = bin_dir / name
        shim.write_text(f'#!/bin/sh\nexec {sys.executable} {command} "$@"\n')
        shim.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CERKIT_")}
    env["PYTHONPATH"] = str(ROOT / "src")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_readme_marks_a_tour_that_covers_the_first_hour() -> None:
    script = tour_script((ROOT / "README.md").read_text(encoding="utf-8"))
    commands = ["cerkit seal args.json", "cerkit verify --json records.jsonl", "python app.py"]
    commands += ["cerkit diff", "cerkit sign", "cerkit attest", "cerkit verify --producer-key"]
    for command in commands:
        assert command in script, command
    assert "cat > args.json" in script and "cat > app.py" in script


def test_the_readme_tour_runs_top_to_bottom_in_a_fresh_folder(tmp_path: Path) -> None:
    script = tour_script((ROOT / "README.md").read_text(encoding="utf-8"))
    work = tmp_path / "fresh"
    work.mkdir()
    (tmp_path / "tour.sh").write_text(script)
    env = _path_with_this_tree(tmp_path / "bin")
    tour = subprocess.Popen(
        ["bash", str(tmp_path / "tour.sh")], cwd=work, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        output, _ = tour.communicate(timeout=600)
    finally:  # the node the tour started in the background, if it stopped before its kill
        with contextlib.suppress(ProcessLookupError):
            os.killpg(tour.pid, signal.SIGKILL)
    assert tour.returncode == 0, output[-6000:]
    assert "Traceback" not in output and "internal error" not in output, output[-6000:]
    assert "2 records: 2 VERIFIED" in output
    assert "cerkit: recording into " in output
    assert "DRIFT_EXPLAINED" in output  # the changed default, named as the cause
    assert re.search(r"^VERIFIED\s+logged ", output, re.M), output[-3000:]
