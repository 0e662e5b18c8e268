"""The process edge of confirmation and bisection: re-runs, package overlays, restored files.

:class:`Relauncher` is the :class:`cerkit.drift.confirm.Runner` for real executions. Each
re-run is a fresh interpreter started with this process's environment, the run's
:class:`~cerkit.drift.factors.Setting` applied on top:

* variables set or unset; interpreter options put before ``-m``;
* **package versions** installed once per ``name==version`` into a folder of their own
  under a throwaway cache (``pip install --no-deps --target``, or ``uv pip install`` with
  ``installer="uv"``), and put **first** on ``PYTHONPATH``, ahead of the user's own
  ``PYTHONPATH`` entries and of site-packages. pip reads its own configuration
  (``PIP_INDEX_URL``, ``PIP_FIND_LINKS``, ``PIP_NO_INDEX``, ``pip.conf``), uv its ``UV_*``
  equivalents (``PIP_*`` values are passed on as ``UV_*`` when those are unset). Nothing is
  ever installed into the user's environment;
* **source files** restored from git: the newest version in the repository's history whose
  digest is the one the other record holds, written into a scratch copy of the project
  (tracked and untracked, ignored files left out); the re-run works there;
* **keyword arguments** passed explicitly (an effective default flipped).

A recorded Python call re-runs through :func:`cerkit.drift.rerun.run_fresh` (the replay
edge); a recorded command through ``python -m cerkit.drift.relaunch`` (which records it with
``run_command``). Every
re-run record gets ``meta.replay`` (the original's certificate hash, the purpose, the
setting); ``cerkit explain --confirm`` keeps them in a replay store, out of the drift ledger.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from cerkit.drift.confirm import NotRunnable, Run, RunResult
from cerkit.drift.factors import Setting
from cerkit.errors import OperationalError

#: How long one re-run may take before it is stopped (seconds).
RUN_TIMEOUT: Final[float] = 600.0
#: Commits searched for a version of a file whose digest matches.
GIT_VERSIONS: Final[int] = 200
#: Interpreter options under which the re-run harness itself cannot start.
_HARNESS_BREAKERS: Final[frozenset[str]] = frozenset(("-S", "-I"))
#: pip's settings uv reads under another name (``PIP_X`` -> ``UV_X``).
_PIP_TO_UV: Final[tuple[str, ...]] = ("INDEX_URL", "EXTRA_INDEX_URL", "FIND_LINKS", "NO_INDEX")


def _git(cwd: str, *args: str) -> bytes:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, timeout=60, check=False)
    if done.returncode != 0:
        raise NotRunnable(f"git {args[0]} failed: {done.stderr.decode(errors='replace')[-200:]}")
    return done.stdout


def _sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _function_source(text: bytes, qualname: str) -> bytes | None:
    """The source of ``qualname`` in a module's text, as ``inspect.getsource`` gives it."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    nodes: list[ast.AST] = [tree]
    found: ast.AST | None = None
    for part in qualname.split("."):
        body = [n for scope in nodes for n in getattr(scope, "body", [])]
        matches = [n for n in body if getattr(n, "name", None) == part]
        if not matches:
            return None
        found, nodes = matches[-1], matches[-1:]
    if not isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return None
    start = min([found.lineno, *(d.lineno for d in found.decorator_list)])
    lines = text.decode("utf-8").splitlines(keepends=True)
    return "".join(lines[start - 1 : found.end_lineno]).encode("utf-8")


class Overlays:
    """Package versions installed once each into a folder of their own, for PYTHONPATH."""

    def __init__(self, root: Path, *, installer: str = "pip") -> None:
        self.root, self.installer = root, installer

    def folder(self, name: str, version: str) -> Path:
        return self.root / f"{name}-{version}"

    def prepare(self, packages: Sequence[tuple[str, str]]) -> list[Path]:
        """The folders of ``packages``, installing (in one installer call) the missing ones."""
        missing = [(n, v) for n, v in packages if not self.folder(n, v).is_dir()]
        if missing:
            self._install(missing)
        return [self.folder(n, v) for n, v in packages]

    def _install(self, packages: Sequence[tuple[str, str]]) -> None:
        stage = Path(tempfile.mkdtemp(prefix="stage-", dir=self.root))
        specs = [f"{n}=={v}" for n, v in packages]
        env = dict(os.environ)
        if self.installer == "uv":
            for name in _PIP_TO_UV:
                if f"PIP_{name}" in env and f"UV_{name}" not in env:
                    env[f"UV_{name}"] = env[f"PIP_{name}"]
            command = ["uv", "pip", "install", "--python", sys.executable]
        else:
            command = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"]
        command += ["--quiet", "--no-deps", "--target", str(stage), *specs]
        try:
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NotRunnable(f"{self.installer} could not run: {exc}") from None
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise NotRunnable(f"{self.installer} could not install {', '.join(specs)}: {tail}")
        self._split(stage, packages)
        shutil.rmtree(stage, ignore_errors=True)

    def _split(self, stage: Path, packages: Sequence[tuple[str, str]]) -> None:
        """Move each distribution's files (its RECORD) into its own folder."""
        wanted = {_normal(n): (n, v) for n, v in packages}
        for info in stage.glob("*.dist-info"):
            name = _normal(info.name.removesuffix(".dist-info").rsplit("-", 1)[0])
            if name not in wanted:
                continue
            target = self.folder(*wanted[name])
            tmp = Path(tempfile.mkdtemp(prefix="split-", dir=self.root))
            for line in (info / "RECORD").read_text(encoding="utf-8").splitlines():
                path = line.split(",", 1)[0]
                source = stage / path
                if not path or path.startswith(("..", "/", "bin/")) or not source.exists():
                    continue
                (tmp / path).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(source), tmp / path)
            os.replace(tmp, target)


def _normal(name: str) -> str:
    return name.lower().replace("-", "_").replace(".", "_")


class Relauncher:
    """Makes the re-runs of one pair of records (see the module docstring).

    Args:
        original: the record whose execution is re-run (its inputs, entry point or argv).
        workdir: where the execution runs (the recorded program's folder).
        scratch: a folder this object may fill (overlays, project copies, run outputs).
        installer: ``"pip"`` or ``"uv"``.
        timeout: seconds one re-run may take.
    """

    def __init__(
        self,
        original: Mapping[str, Any],
        *,
        workdir: str,
        scratch: Path,
        installer: str = "pip",
        timeout: float = RUN_TIMEOUT,
    ) -> None:
        self.original, self.workdir, self.scratch = original, workdir, scratch
        self.overlays = Overlays(scratch / "overlays", installer=installer)
        self.overlays.root.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.records: list[dict[str, Any]] = []
        self.kind = str((original.get("snapshot") or {}).get("execution", {}).get("kind"))
        self.payload = self._payload()

    def _payload(self) -> dict[str, Any]:
        if self.kind == "python":
            from cerkit.drift.replay import recorded_inputs

            try:
                entry = recorded_inputs(self.original).entry_point
            except Exception as exc:
                raise NotRunnable(f"the record does not hold its inputs: {exc}") from None
            if entry.partition(":")[0] == "__main__":
                raise NotRunnable(f"entry point {entry!r} cannot be imported for a re-run")
            return dict(self.original)
        if self.kind == "command":
            return _command_payload(self.original, self.workdir)
        raise NotRunnable(f"records of kind {self.kind!r} cannot be re-run")

    def __call__(self, run: Run) -> RunResult:
        setting = run.setting
        if _HARNESS_BREAKERS & set(setting.flags or ()):
            raise NotRunnable("the re-run harness cannot start under -S or -I")
        cwd = self.workdir
        if setting.files:
            cwd = self._workdir(setting)
        elif self.kind == "command" and self.payload["outputs"]:
            cwd = self._copy_of_workdir()  # never overwrite the user's output files
        env = self._environment(setting)
        index = len(self.records)
        what = f"re-run {index + 1} ({run.purpose})"
        started = time.perf_counter()
        if self.kind == "python":
            from cerkit.drift.rerun import run_fresh

            payload = _with_kwargs(self.payload, setting)
            fresh = run_fresh(
                payload, env=env, cwd=cwd, store=False, flags=setting.flags or (),
                timeout=self.timeout,
            )  # fmt: skip
            record = fresh.require(what)
        else:
            record = self._command(env, cwd, what)
        seconds = time.perf_counter() - started
        meta = dict(record.get("meta") or {})
        meta["replay"] = {
            "of": self.original.get("certificateHash"),
            "purpose": run.purpose,
            "setting": setting.to_json(),
        }
        record["meta"] = meta
        self.records.append(record)
        return RunResult(str(record["snapshot"]["outputHash"]), record, seconds)

    def _command(self, env: dict[str, str], cwd: str, what: str) -> dict[str, Any]:
        """Re-run a recorded command under the recorder, in a child of its own."""
        out = self.scratch / f"command-{len(self.records)}.json"
        command = [sys.executable, "-m", "cerkit.drift.relaunch", str(out)]
        try:
            done = subprocess.run(
                command, input=json.dumps(self.payload), cwd=cwd, env=env,
                capture_output=True, text=True, timeout=self.timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise OperationalError(f"{what} timed out after {self.timeout} s") from None
        if not out.exists():
            tail = (done.stderr.strip().splitlines() or ["no record written"])[-1]
            raise OperationalError(f"{what} failed: {tail}")
        record: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
        return record

    def _environment(self, setting: Setting) -> dict[str, str]:
        env = dict(os.environ)
        for name, value in setting.env:
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        folders = self.overlays.prepare(setting.packages) if setting.packages else []
        path = [str(f) for f in folders]
        if env.get("PYTHONPATH"):
            path.append(env["PYTHONPATH"])
        if path:
            env["PYTHONPATH"] = os.pathsep.join(path)
        return env

    def _workdir(self, setting: Setting) -> str:
        """A scratch copy of the project with each file of ``setting.files`` restored."""
        root = _git(self.workdir, "rev-parse", "--show-toplevel").decode().strip()
        restored = {}
        for target, digest, qualname in setting.files:
            path = (
                _module_path(target, self.workdir, root) if target.startswith("module:") else target
            )
            restored[path] = _restore(root, path, digest, qualname)
        copy = Path(tempfile.mkdtemp(prefix="project-", dir=self.scratch))
        listed = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        for name in filter(None, listed.decode().split("\0")):
            source = Path(root, name)
            if source.is_file():
                (copy / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, copy / name)
        for path, content in restored.items():
            (copy / path).parent.mkdir(parents=True, exist_ok=True)
            (copy / path).write_bytes(content)
        return str(copy / os.path.relpath(self.workdir, root))

    def _copy_of_workdir(self) -> str:
        copy = Path(tempfile.mkdtemp(prefix="workdir-", dir=self.scratch)) / "w"
        skip = shutil.ignore_patterns(".git", ".cerkit", "__pycache__", ".venv")
        shutil.copytree(self.workdir, copy, ignore=skip, symlinks=True)
        return str(copy)


def _module_path(target: str, workdir: str, root: str) -> str:
    module = target.removeprefix("module:").replace(".", "/")
    for candidate in (f"{module}.py", f"{module}/__init__.py"):
        if Path(workdir, candidate).is_file():
            return os.path.relpath(Path(workdir, candidate), root).replace(os.sep, "/")
    raise NotRunnable(f"no file for module {target.removeprefix('module:')} in {workdir}")


def _restore(root: str, path: str, digest: str, qualname: str) -> bytes:
    """The newest version of ``path`` in git whose digest (of the file, or of ``qualname``'s
    source in it) is ``digest``."""
    commits = _git(root, "log", f"-n{GIT_VERSIONS}", "--format=%H", "--all", "--", path)
    for commit in commits.decode().split():
        done = subprocess.run(
            ["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, check=False
        )
        if done.returncode != 0:
            continue
        part = _function_source(done.stdout, qualname) if qualname else done.stdout
        if part is not None and _sha(part) == digest:
            return done.stdout
    raise NotRunnable(f"git holds no version of {path} with the other record's digest")


def _with_kwargs(bundle: Mapping[str, Any], setting: Setting) -> Mapping[str, Any]:
    if not setting.kwargs:
        return bundle
    snapshot = dict(bundle["snapshot"])
    inputs = dict(snapshot["input"])
    inputs["kwargs"] = {**inputs.get("kwargs", {}), **dict(setting.kwargs)}
    snapshot["input"] = inputs
    return {**bundle, "snapshot": snapshot}


def _command_payload(record: Mapping[str, Any], workdir: str) -> dict[str, Any]:
    execution = record["snapshot"]["execution"]
    argv = execution.get("argv")
    files = execution.get("files") or {}
    if not isinstance(argv, list) or not argv:
        raise NotRunnable("the record holds no command line")
    inputs = files.get("inputs") or {}
    for path, digest in inputs.items():
        full = Path(workdir, path)
        if not full.is_file() or _sha(full.read_bytes()) != digest:
            raise NotRunnable(f"input {path} is not the file the record digested")
    outputs = list(files.get("outputs") or {})
    if any(os.path.isabs(p) or p.startswith("..") for p in outputs):
        raise NotRunnable("the command writes files outside its folder")
    name = execution.get("entryPoint")
    return {"argv": argv, "inputs": list(inputs), "outputs": outputs, "name": name}


def relaunch_pair(
    explanation: Any,
    mode: str,
    *,
    workdir: str,
    budget: float | None = None,
    installer: str = "pip",
    watch: Any = None,
) -> tuple[Any, list[dict[str, Any]]]:
    """Confirm (``mode="confirm"``) or bisect (``"bisect"``) one explained pair with real
    re-runs in a throwaway scratch folder; the result and the re-run records.

    A record that cannot be re-run at all (no inputs held, an ``__main__`` entry point, a
    command whose input files changed) gives a result whose every candidate is
    NOT_TESTABLE with that reason, after no re-run.
    """
    from cerkit.drift.bisect import bisect
    from cerkit.drift.confirm import confirm, not_runnable

    with tempfile.TemporaryDirectory(prefix="cerkit-confirm-") as scratch:
        try:
            runner = Relauncher(
                explanation.diff.b, workdir=workdir, scratch=Path(scratch), installer=installer
            )
        except NotRunnable as exc:
            return not_runnable(explanation, mode, exc.message), []
        engine = confirm if mode == "confirm" else bisect
        result = engine(explanation, runner, budget=budget, watch=watch)
        return result, runner.records


def _record_command(out: str) -> None:
    """Child side: run the command of stdin's payload under the recorder (its output goes
    to /dev/null, its digests into the record) and write the record to ``out``."""
    from cerkit.capture.command import run_command

    payload = json.loads(sys.stdin.read())
    with open(os.devnull, "wb") as sink:
        result = run_command(
            payload["argv"], inputs=payload["inputs"], outputs=payload["outputs"],
            name=payload["name"], store=False, stdout=sink, stderr=sink,
        )  # fmt: skip
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result.bundle, handle)


if __name__ == "__main__":
    _record_command(sys.argv[1])
