"""Recording any program: ``cerkit record [--input P]... [--output P]... -- CMD ARGS...``.

The program runs with this process's standard input and environment. Its standard output
and error are copied through unchanged, byte for byte, while being hashed; its exit code is
returned unchanged (a program killed by signal N gives 128 + N, as shells report it). The
record holds argv, working directory, the digests of the declared input files (taken before
the run) and output files (after it), the digests of stdout and stderr, the exit code, the
duration and the runtime fingerprint.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Any, Final

from cerkit.capture import _child
from cerkit.capture._imports import machinery
from cerkit.capture.builder import Capture, Hook
from cerkit.capture.encode import EncodeOptions
from cerkit.capture.secrets import scrub_argv, scrub_text
from cerkit.errors import OperationalError, UsageError
from cerkit.integrations.files import file_digest

_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What :func:`run_command` observed and recorded."""

    exit_code: int
    bundle: dict[str, Any]


def digest_files(paths: Sequence[str]) -> dict[str, Any]:
    """Path -> ``sha256:<hex>``, or ``{"missing": true}`` for a path that is not a file."""
    digests: dict[str, Any] = {}
    for path in paths:
        digests[path] = file_digest(path) if os.path.isfile(path) else {"missing": True}
    return digests


def _tee(source: IO[bytes], sink: IO[bytes], hasher: Any) -> None:
    """Copy ``source`` to ``sink`` as it arrives, hashing every byte."""
    while True:
        chunk = source.read1(_CHUNK) if hasattr(source, "read1") else source.read(_CHUNK)
        if not chunk:
            break
        hasher.update(chunk)
        sink.write(chunk)
        sink.flush()
    source.close()


def _exit_code(returncode: int) -> int:
    return 128 - returncode if returncode < 0 else returncode


def _wait(process: subprocess.Popen[bytes]) -> int:
    """Wait for the program. Ctrl-C reaches it through the terminal's process group; this
    process ignores it meanwhile, so the interrupted run is still recorded (exit 130)."""
    if threading.current_thread() is not threading.main_thread():
        return process.wait()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        return process.wait()
    finally:
        signal.signal(signal.SIGINT, previous)


def _spawn(argv: Sequence[str], env: dict[str, str] | None) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except FileNotFoundError:
        raise UsageError(f"command not found: {argv[0]}") from None
    except PermissionError:
        raise UsageError(f"command is not executable: {argv[0]}") from None
    except OSError as exc:
        raise OperationalError(f"cannot run {argv[0]}: {exc}") from None


def run_command(
    argv: Sequence[str],
    *,
    inputs: Sequence[str] = (),
    outputs: Sequence[str] = (),
    name: str | None = None,
    store: Any = None,
    hooks: Sequence[Hook] = (),
    stdout: IO[bytes] | None = None,
    stderr: IO[bytes] | None = None,
) -> CommandResult:
    """Run ``argv``, pass its output through, and record the execution.

    Args:
        argv: the program and its arguments.
        inputs: files the program reads (digested before it starts).
        outputs: files the program writes (digested after it ends).
        name: the entry point to record (default: the program's base name).
        store: as for :func:`cerkit.capture.recorder.configure`.
        hooks: post-seal hooks.
        stdout, stderr: where the program's output goes (default: ours).

    Raises:
        UsageError: empty ``argv`` or a program that cannot be found.
    """
    if not argv:
        raise UsageError("no command given (cerkit record [options] -- CMD ARGS...)")
    # What is recorded of the command line: secret option values, passwords and tokens cut
    # out (the program itself runs with the real argv).
    shown = scrub_argv(argv)
    entry = scrub_text(name or os.path.basename(argv[0]))
    capture = _capture(entry, argv, store, hooks)
    capture.input = {"argv": shown, "inputs": digest_files(inputs)}
    capture.passed = {"argv": shown}
    capture.effective = {"argv": shown, "cwd": os.getcwd()}
    child = _child.ChildImports() if _child.is_python(argv) else None
    capture.start_clock()
    try:
        process = _spawn(argv, child.env() if child else None)
    except BaseException:
        if child:
            child.read()  # removes the hook folder
        raise
    code, stdout_digest, stderr_digest = _tee_until_exit(process, stdout, stderr)
    output_files = digest_files(outputs)
    capture.extra_execution = {
        "argv": shown,
        "cwd": os.getcwd(),
        "exitCode": code,
        "files": {"inputs": capture.input["inputs"], "outputs": output_files},
        "stdoutDigest": stdout_digest,
        "stderrDigest": stderr_digest,
    }
    output = {"exitCode": code, "stdoutDigest": stdout_digest, "stderrDigest": stderr_digest,
              "outputs": output_files}  # fmt: skip
    _child_usage(capture, child)
    failure = None if code == 0 else ChildProcessError(f"exit code {code}")
    with machinery():
        bundle = capture.finish(output, failure, keep_output=True)
    return CommandResult(code, bundle)


def _tee_until_exit(
    process: subprocess.Popen[bytes], stdout: IO[bytes] | None, stderr: IO[bytes] | None
) -> tuple[int, str, str]:
    """Pass the program's output through while digesting it; its exit code and digests."""
    hashes = {"stdout": hashlib.sha256(), "stderr": hashlib.sha256()}
    sinks = {"stdout": stdout or sys.stdout.buffer, "stderr": stderr or sys.stderr.buffer}
    pipes = {"stdout": process.stdout, "stderr": process.stderr}
    threads = [
        threading.Thread(target=_tee, args=(pipes[stream], sinks[stream], hashes[stream]))
        for stream in ("stdout", "stderr")
    ]
    for thread in threads:
        thread.start()
    returncode = _wait(process)
    for thread in threads:
        thread.join()
    digests = ["sha256:" + hashes[stream].hexdigest() for stream in ("stdout", "stderr")]
    return _exit_code(returncode), digests[0], digests[1]


_NOT_REPORTED: Final[str] = (
    "the program wrote no import report: it did not run site or ignored PYTHONPATH "
    "(-S, -E, -I), left through os._exit, or was killed"
)


def _child_usage(capture: Capture, child: _child.ChildImports | None) -> None:
    """Put what the child imported into the record (``imported``, ``userCode``)."""
    if child is None:
        reason = "not a Python program: its imports are not observed"
        capture.imported = {"source": _IMPORTED_SOURCE, "unknown": reason}
        return
    report = child.read()
    if report is None:
        capture.imported = {"source": _IMPORTED_SOURCE, "unknown": _NOT_REPORTED}
        return
    from cerkit.capture import _sources

    packages, files = _child.usage(report)
    capture.imported = {"source": _IMPORTED_SOURCE, "packages": packages}
    capture.extra_execution["userCode"] = _sources.user_code(files)


_IMPORTED_SOURCE: Final[str] = "the child's sys.modules at exit, reported by a sitecustomize hook"
_INTERPRETERS = ("python", "python3", "node", "bash", "sh", "zsh", "ruby", "perl", "Rscript")


def program_digest(argv: Sequence[str]) -> tuple[str | None, str]:
    """``(digest, source)`` of the code that runs: the script for an interpreter followed by
    a script file (``python train.py``), else the executable found on ``PATH``."""
    program = os.path.basename(argv[0])
    interpreted = program.startswith(_INTERPRETERS) and len(argv) > 1
    if interpreted and os.path.isfile(argv[1]):
        return file_digest(argv[1]), f"script {argv[1]}"
    found = shutil.which(argv[0])
    if found and os.path.isfile(found):
        return file_digest(found), f"executable {found}"
    return None, "unavailable"


def _capture(entry: str, argv: Sequence[str], store: Any, hooks: Sequence[Hook]) -> Capture:
    from cerkit.capture import _seeds
    from cerkit.capture.recorder import DEFAULTS

    digest, source = program_digest(argv)
    return Capture(
        kind="command",
        entry_point=entry,
        code_digest=digest,
        code_source=scrub_text(source),  # a script or executable path may hold a token
        provider="command",
        model=None,
        store=DEFAULTS.store if store is None else store,
        options=EncodeOptions(content=False),
        hooks=(*DEFAULTS.hooks, *hooks),
        seed_mark=_seeds.mark(),
    )
