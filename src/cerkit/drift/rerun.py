"""The edge of replay: calling a recorded Python entry point again, here or in a fresh process.

Everything that imports user code or starts an interpreter lives here; deciding what to run
and what the runs mean is pure and lives in :mod:`cerkit.drift.replay`.

* :func:`rerun`: call the entry point again in this process, unrecorded, and compare its
  output with the recorded ``outputHash``.
* :func:`replay`: ``runs`` fresh runs of a record, labelled by :mod:`cerkit.drift.replay`.
* :func:`run_fresh`: call it once in a fresh interpreter (``python -m cerkit.drift.rerun``)
  with a given environment and an optional ``sys.path`` overlay (a package overlay, a
  checkout of the user's source), through cerkit's recorder; the new sealed record comes
  back. A fresh process sees the environment as a new execution would (hash seed, module
  state, imported packages) and keeps the replaying tool's own imports out of the new record.

The child reads the original record on standard input and is invoked as
``python -m cerkit.drift.rerun OUT [--no-store] [--path DIR]...``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cerkit.capture.encode import encode
from cerkit.capture.secrets import scrub
from cerkit.digest import hash_payload
from cerkit.drift.replay import ReplayResult, label_replays, recorded_inputs
from cerkit.errors import CerkitError, OperationalError, Reason, UsageError

#: ``IO_ERROR: `` at the start of a child's error line (any reason code).
_REASON_PREFIX = re.compile(r"^[A-Z][A-Z_]+: ")


def replay_blocker(entry_point: str) -> str | None:
    """Why the entry point cannot be called again from here (``None``: it can be tried).

    Checked before any run starts: code with no file (``python -c``, a notebook, stdin) is
    recorded as ``__main__``; a nested function or a lambda has no importable name; a script
    is found by its path from the project folder (:func:`~cerkit.capture._sources.project_root`).
    """
    from cerkit.capture._sources import project_root

    module, _, qualname = entry_point.rpartition(":")
    if not module or not qualname:
        return f"{entry_point!r} is not MODULE:QUALNAME or PATH.py:QUALNAME"
    if module == "__main__":
        return "it was defined in code with no file (python -c, a notebook or stdin)"
    if "<" in qualname:
        return f"{qualname} is a nested function or a lambda, which cannot be imported"
    if module.endswith(".py") and not os.path.isfile(os.path.join(project_root(), module)):
        return f"the script {module} is not in {project_root()} (replay where it was recorded)"
    return None


def _script(path: str) -> Any:
    """The script ``path`` (relative to the project folder) loaded as a module named by that
    path, so its functions keep the entry point they were recorded under. Its ``if __name__
    == "__main__":`` block does not run."""
    import importlib.util

    from cerkit.capture._sources import project_root

    if path in sys.modules:
        return sys.modules[path]
    spec = importlib.util.spec_from_file_location(path, os.path.join(project_root(), path))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[path] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[path]
        raise
    return module


def entry_point_callable(entry_point: str, *, unwrap: bool = True) -> Callable[..., Any]:
    """Import ``module:qualname``, or load ``path/to/app.py:qualname`` from its file.

    Args:
        entry_point: the recorded ``execution.entryPoint``.
        unwrap: return the function under a recorder wrapper (calling it makes no new
            record); ``False`` keeps the wrapper, so a call is recorded with the options the
            code itself gave the recorder (model, content policy...).

    Raises:
        OperationalError: the module or attribute cannot be imported or is not callable.
    """
    blocker = replay_blocker(entry_point)
    if blocker is not None:
        raise OperationalError(f"{entry_point} cannot be imported: {blocker}")
    module_name, _, qualname = entry_point.rpartition(":")
    try:
        target: Any = (
            _script(module_name)
            if module_name.endswith(".py")
            else importlib.import_module(module_name)
        )
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError, OSError) as exc:
        raise OperationalError(f"cannot import {entry_point}: {exc}") from None
    if unwrap:
        target = getattr(target, "__wrapped__", target)
    if not callable(target):
        raise OperationalError(f"{entry_point} is not callable")
    return target  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Rerun:
    """The outcome of calling a recorded entry point again in this process."""

    output: Any  # the encoded return value, or {"error": {...}} when the call raised
    output_hash: str
    same_output: bool  # equal to the recorded outputHash


def rerun(bundle: Mapping[str, Any]) -> Rerun:
    """Call the recorded entry point again with the recorded inputs, here, unrecorded.

    >>> from cerkit.capture.recorder import record
    >>> import json
    >>> recorded = record(json.dumps, store=False)
    >>> _ = recorded([1, 2])
    >>> rerun(recorded.last_record).same_output
    True
    """
    call = recorded_inputs(bundle)
    function = entry_point_callable(call.entry_point)
    try:
        output = scrub(encode(function(*call.args, **call.kwargs)))  # as the recorder does
    except Exception as exc:
        kind = type(exc)
        name = (
            kind.__qualname__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        output = {"error": {"type": name, "message": scrub(str(exc))}}
    if output is None:
        output = {"$type": "none"}
    digest = hash_payload(output)
    return Rerun(output, digest, digest == bundle["snapshot"].get("outputHash"))


@dataclass(frozen=True, slots=True)
class FreshRun:
    """What one run in a fresh interpreter left behind."""

    record: dict[str, Any] | None  # the new sealed record; None when the run wrote none
    returncode: int | None  # None: killed after the timeout
    stderr: str

    @property
    def failure(self) -> str:
        """The child's last line on stderr (why no record was written), without the
        ``cerkit: REASON:`` prefix the child printed (the caller's error carries its own)."""
        last = (self.stderr.strip().splitlines()[-1:] or ["no record written"])[0]
        return _REASON_PREFIX.sub("", last.removeprefix("cerkit: "), count=1)

    def require(self, what: str) -> dict[str, Any]:
        """The new record.

        Raises:
            OperationalError: ``"{what} failed: <the child's last stderr line>"``.
        """
        if self.record is None:
            raise OperationalError(f"{what} failed: {self.failure}")
        return self.record


def run_fresh(
    bundle: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    path_overlay: Sequence[str] = (),
    cwd: str | None = None,
    store: bool = True,
    python: str = sys.executable,
    flags: Sequence[str] = (),
    timeout: float | None = None,
) -> FreshRun:
    """Call the recorded entry point once in a fresh interpreter, through cerkit's recorder.

    Args:
        bundle: the original record (a Python call record, see ``recorded_inputs``).
        env: the child's whole environment (default: this process's).
        path_overlay: directories put first on the child's ``sys.path``, in order, before
            anything is imported (a throwaway package overlay, a checkout of the code).
        cwd: the child's working directory, also on its ``sys.path`` (default: this one's).
        store: also write the new record to the store (``$CERKIT_STORE`` in ``env``).
        python: the interpreter to start.
        flags: interpreter options put before ``-m`` (``-O``, ``-X utf8``...).
        timeout: seconds before the child is killed (None: wait).

    Returns:
        A :class:`FreshRun`; ``.require(what)`` gives the record or raises.
    """
    command = [python, *flags, "-m", "cerkit.drift.rerun", ""]
    if not store:
        command.append("--no-store")
    for folder in path_overlay:
        command += ["--path", os.fspath(folder)]
    with tempfile.TemporaryDirectory(prefix="cerkit-replay-") as scratch:
        command[3 + len(flags)] = out = os.path.join(scratch, "record.json")
        try:
            done = subprocess.run(
                command,
                input=json.dumps(bundle),
                capture_output=True,
                text=True,
                env=dict(os.environ if env is None else env),
                cwd=cwd,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return FreshRun(None, None, f"timed out after {timeout} s")
        except OSError as exc:
            raise OperationalError(f"cannot start {python}: {exc.strerror}") from None
        record = None
        if os.path.exists(out):
            with open(out, encoding="utf-8") as handle:
                record = json.load(handle)
        return FreshRun(record, done.returncode, done.stderr)


def _store_available(store_url: str | None) -> bool:
    """Whether new records can go to a store (no store backend: they are only returned)."""
    from cerkit.ledger.factory import open_record_store

    try:
        store = open_record_store(store_url)
    except OperationalError:
        return False
    store.close()
    return True


def replay(bundle: Mapping[str, Any], runs: int, *, store_url: str | None = None) -> ReplayResult:
    """Re-execute the recorded call ``runs`` times, each in a fresh interpreter here.

    Each run gets this process's environment and working directory (``$CERKIT_STORE`` set to
    ``store_url`` when given); the new records go to the store when one can be opened.

    Args:
        bundle: the original record.
        runs: how many times to call the entry point (>= 1).
        store_url: where the new records are stored (``None``: the default store).

    Returns:
        A :class:`~cerkit.drift.replay.ReplayResult`.

    Raises:
        SchemaError: the record cannot be replayed (see ``recorded_inputs``).
        UsageError: ``NOT_REPLAYABLE``, the entry point cannot be called from here
            (see :func:`replay_blocker`).
        OperationalError: a run could not start or produced no record.
    """
    entry_point = recorded_inputs(bundle).entry_point  # fail early, here, before any run
    blocker = replay_blocker(entry_point)
    if blocker is not None:
        raise UsageError(f"{entry_point} cannot be replayed: {blocker}", Reason.NOT_REPLAYABLE)
    stored = _store_available(store_url)
    env = dict(os.environ)
    if store_url:
        env["CERKIT_STORE"] = store_url
    new = [
        run_fresh(bundle, env=env, store=stored).require(f"replay run {run} of {entry_point}")
        for run in range(1, runs + 1)
    ]
    return label_replays(bundle, new, stored=stored)


def _run_once(bundle: Mapping[str, Any], out: str, *, store: bool) -> None:
    """(In the child.) Call the recorded entry point once; the new record goes to ``out``
    (and the store)."""
    from cerkit.capture import recorder

    call = recorded_inputs(bundle)
    if os.getcwd() not in sys.path:  # the recorded program's modules, as in the original run
        sys.path.insert(0, os.getcwd())

    def mark(new: dict[str, Any]) -> None:
        # A replay is not a new execution (docs/drift.md §4c): meta (outside the hash) says
        # which record it re-ran; a confirmation's re-run replaces it with its own purpose.
        replay: dict[str, Any] = {"of": bundle.get("certificateHash"), "purpose": "replay"}
        replay["setting"] = {}
        new["meta"] = {**(new.get("meta") or {}), "replay": replay}

    def keep(new: dict[str, Any]) -> None:
        with open(out, "w", encoding="utf-8") as handle:
            json.dump(new, handle)

    hooks, stored = list(recorder.DEFAULTS.hooks), recorder.DEFAULTS.store
    recorder.configure(store=False, hooks=[])  # calls made while the module loads are not it
    target = entry_point_callable(call.entry_point, unwrap=False)
    recorder.configure(store=stored if store else False, hooks=[*hooks, mark, keep])
    if getattr(target, "__cerkit_entry_point__", None) is None:
        target = recorder.record(name=call.entry_point)(target)
    with contextlib.suppress(Exception):  # the failure is in the new record (status error)
        target(*call.args, **call.kwargs)


def main(argv: Sequence[str] | None = None) -> int:
    """The child: ``python -m cerkit.drift.rerun OUT [--no-store] [--path DIR]...``."""
    args = list(sys.argv[1:] if argv is None else argv)
    overlay = [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--path"]
    sys.path[:0] = overlay  # before the entry point (or anything it needs) is imported
    try:
        bundle = json.loads(sys.stdin.read())
        _run_once(bundle, args[0], store="--no-store" not in args[1:])
    except CerkitError as exc:
        print(f"cerkit: {exc}", file=sys.stderr)
        return 3
    return 0


__all__ = [
    "FreshRun",
    "Rerun",
    "entry_point_callable",
    "replay",
    "replay_blocker",
    "rerun",
    "run_fresh",
]


if __name__ == "__main__":
    sys.exit(main())
