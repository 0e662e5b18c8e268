"""Running ``cerkit`` as a user does: a subprocess, text output, exit code and stderr kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CLI = [sys.executable, "-c", "from cerkit.cli import run; run()"]


def cerkit(
    *argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``cerkit ARGV...``; output that is not UTF-8 comes back as backslash escapes."""
    return subprocess.run(
        [*CLI, *map(str, argv)],
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=120,
        check=False,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )


def clean_error(result: subprocess.CompletedProcess[str], code: int, reason: str) -> None:
    """Exit ``code`` and exactly one stderr line naming ``reason``, no internal error."""
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cerkit: ") and reason in lines[0], lines
