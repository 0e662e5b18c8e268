"""The attribution table: which category a change belongs to, and how likely a cause it is.

Scores run from 0 to 100; the order encodes what DESIGN.md §5 asks for: the served model or
its weights changing beats any package bump, a package the execution imported beats one it
never imported, an effective parameter that changed while the passed one did not is a
shifted default. docs/drift.md §3 lists the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cerkit.digest import is_digest
from cerkit.drift.diff import MISSING, Change, lookup

CATEGORY_ORDER: Final[tuple[str, ...]] = (
    "model",
    "prompt",
    "parameter-default",
    "code",
    "dependency",
    "context",
    "environment",
    "numeric-stack",
    "runtime",
    "hardware",
)

#: modelIdentity field -> (score, what it means).
_MODEL: Final[Mapping[str, tuple[int, str]]] = {
    "weightsDigest": (100, "model weights changed"),
    "weightsManifest": (98, "a model weights file changed"),
    "servedModel": (100, "the served model changed"),
    "providerFingerprint": (92, "the provider's system fingerprint changed"),
    "class": (95, "the model class changed"),
    "parameters": (85, "the model's own parameters changed"),
    "quantization": (90, "quantization changed"),
    "adapters": (90, "adapters changed"),
    "tokenizer": (90, "the tokenizer changed"),
    "requestedModel": (95, "the requested model changed"),
    "provider": (95, "the provider changed"),
    "framework": (60, "the model framework changed"),
}
#: execution field -> (score, what it means).
_CODE: Final[Mapping[str, tuple[int, str]]] = {
    "entryPoint": (90, "the entry point changed"),
    "codeDigest": (86, "the entry point's source code changed"),
    "kind": (80, "the kind of execution changed"),
    "argv": (70, "the command line changed"),
    "seeds": (75, "the seeds the code set changed"),
}
_GIT: Final[Mapping[str, tuple[int, str]]] = {
    "commit": (45, "the git commit changed"),
    "dirty": (40, "uncommitted changes appeared or went away"),
    "diffDigest": (40, "the uncommitted diff changed"),
    "branch": (10, "the git branch changed"),
}
_RUNTIME: Final[Mapping[str, int]] = {"python": 55, "locale": 45, "os": 30}

#: Evidence from history (:mod:`cerkit.drift.history`): a cause that also changed while the
#: output stayed put keeps this share of its score; one that changed at every one of two or
#: more output changes gains the bonus (capped at 100).
HISTORY_QUIET_FACTOR: Final[float] = 0.5
HISTORY_EVERY_BONUS: Final[int] = 15


@dataclass(frozen=True, slots=True)
class Finding:
    """How one change reads as a cause."""

    category: str
    subject: str
    score: int
    evidence: str


def _fmt(value: Any) -> str:
    if value is MISSING:
        return "absent"
    if is_digest(value):
        return f"{value[:19]}…"  # sha256: and 12 hex digits identify it in a report
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _moved(change: Change) -> str:
    return f"{_fmt(change.before)} -> {_fmt(change.after)}"


def _parts(change: Change) -> list[str]:
    return change.path.split(".")


def classify(change: Change, a: Mapping[str, Any], b: Mapping[str, Any]) -> Finding | None:
    """Map one known change to a :class:`Finding`, or ``None`` when it explains nothing."""
    parts = _parts(change)
    handler = _HANDLERS.get(change.facet)
    return handler(change, parts, a, b) if handler else None


def _prompt(change: Change, parts: list[str], a: Any, b: Any) -> Finding | None:
    if parts[:2] == ["snapshot", "prompt"]:
        return Finding("prompt", "prompt", 95, f"the prompt changed: {_moved(change)}")
    return None


def _effective(change: Change, parts: list[str], a: Any, b: Any) -> Finding:
    name = parts[2] if len(parts) > 2 else "*"
    passed = ("snapshot", "parameters", name)
    if lookup(a, passed) == lookup(b, passed):
        how = "passed the same" if lookup(a, passed) is not MISSING else "not passed"
        evidence = f"effective parameter {name} {_moved(change)} while it was {how}"
        return Finding("parameter-default", name, 88, evidence + ": its default changed")
    return Finding("parameter-default", name, 30, f"effective {name} follows the passed value")


def _model(change: Change, parts: list[str], a: Any, b: Any) -> Finding:
    subject = str(lookup(b, ("snapshot", "model")) or "model")
    if parts[1] == "modelVersion":  # NexArt's served version: the same cause as servedModel
        return Finding("model", subject, 99, f"the served model version changed: {_moved(change)}")
    if parts[1] != "modelIdentity":
        return Finding("model", "model", 95, f"snapshot {parts[1]} changed: {_moved(change)}")
    key = parts[2] if len(parts) > 2 else "modelIdentity"
    score, meaning = _MODEL.get(key, (70, f"model identity {key} changed"))
    detail = ".".join(parts[3:])  # which parameter or weights file
    return Finding(
        "model", subject, score, f"{meaning}: {detail + ' ' if detail else ''}{_moved(change)}"
    )


_USER_FILES: Final[str] = "snapshot.execution.userCode.files."
_GIT_FILES: Final[str] = "snapshot.environment.git.diffDigests."


def _used_file(record: Any, name: str) -> bool:
    files = lookup(record, ("snapshot", "execution", "userCode", "files"))
    return isinstance(files, Mapping) and name in files


def _file(change: Change, a: Any, b: Any) -> Finding | None:
    """A change to one of the user's own files (its digest, or its uncommitted diff)."""
    if change.path.startswith(_USER_FILES):
        name = change.path.removeprefix(_USER_FILES)
        if change.before is MISSING or change.after is MISSING:
            verb = "started" if change.before is MISSING else "stopped"
            return Finding("code", name, 70, f"the execution {verb} using its own file {name}")
        return Finding("code", name, 84, f"the user's source file {name} changed: {_moved(change)}")
    if change.path.startswith(_GIT_FILES):
        name = change.path.removeprefix(_GIT_FILES)
        if _used_file(a, name) or _used_file(b, name):
            return Finding("code", name, 40, f"the uncommitted diff of {name} changed")
        return Finding(
            "code", name, 15, f"uncommitted change to {name}, a file the run did not use"
        )
    return None


def _code(change: Change, parts: list[str], a: Any, b: Any) -> Finding:
    found = _file(change, a, b)
    if found is not None:
        return found
    if parts[1] == "environment":  # snapshot.environment.git.*
        key = parts[3] if len(parts) > 3 else "git"
        score, meaning = _GIT.get(key, (35, f"git {key} changed"))
        return Finding("code", "repository", score, f"{meaning}: {_moved(change)}")
    key = parts[2]
    score, meaning = _CODE.get(key, (60, f"execution {key} changed"))
    subject = str(lookup(b, ("snapshot", "execution", "entryPoint")) or "code")
    return Finding("code", subject, score, f"{meaning}: {_moved(change)}")


def _imported(record: Any, name: str) -> bool:
    imported = lookup(record, ("snapshot", "environment", "imported", "packages"))
    return isinstance(imported, Mapping) and name in imported


def _dependency(change: Change, parts: list[str], a: Any, b: Any) -> Finding | None:
    # snapshot.environment.packages.installed.NAME or snapshot.environment.imported.packages.NAME
    if len(parts) < 5 or parts[3] not in ("installed", "packages"):
        if parts[-1] in ("digest", "count"):
            return None  # summaries of the package set: the per-package changes say more
        return Finding("dependency", "packages", 15, f"the package set changed ({change.path})")
    name = parts[4]
    was_imported = _imported(a, name) or _imported(b, name)
    if parts[2] == "imported" and (change.before is MISSING or change.after is MISSING):
        verb = "started" if change.before is MISSING else "stopped"
        return Finding("dependency", name, 50, f"the execution {verb} importing {name}")
    if was_imported:
        evidence = f"{name} {_moved(change)}, a package the execution imported"
        return Finding("dependency", name, 80, evidence)
    return Finding("dependency", name, 20, f"{name} {_moved(change)}, never imported")


def _hardware(change: Change, parts: list[str], a: Any, b: Any) -> Finding:
    part = parts[2] if len(parts) > 2 else "hardware"
    field = ".".join(parts[3:]) or part
    if part == "numeric":
        score = 60 if "torch" in parts else 55
        return Finding("numeric-stack", field, score, f"numeric {field} {_moved(change)}")
    score = 40 if field in ("isaFlags", "gpus") or part == "gpus" else 35
    return Finding("hardware", field, score, f"{part} {field} {_moved(change)}")


def _runtime(change: Change, parts: list[str], a: Any, b: Any) -> Finding:
    part = parts[2] if len(parts) > 2 else "runtime"
    field = ".".join(parts[3:]) or part
    score = _RUNTIME.get(part, 30)
    if field == "executable":
        score = 25
    return Finding("runtime", f"{part}.{field}", score, f"{part} {field} {_moved(change)}")


def _variables(change: Change, parts: list[str], a: Any, b: Any) -> Finding:
    name = parts[-1] if len(parts) > 4 else "envVars"
    return Finding("environment", name, 60, f"environment variable {name} {_moved(change)}")


def _context(change: Change, parts: list[str], a: Any, b: Any) -> Finding:
    score = 75 if parts[-1] == "resultHash" else 65
    subject = parts[1] if parts[0] == "snapshot" else parts[0]
    return Finding("context", subject, score, f"{change.path} {_moved(change)}")


_HANDLERS: Final = {
    "inputs": _prompt,
    "effectiveParameters": _effective,
    "modelIdentity": _model,
    "code": _code,
    "dependencies": _dependency,
    "runtime": _runtime,
    "hardware": _hardware,
    "environmentVariables": _variables,
    "context": _context,
}

__all__ = [
    "CATEGORY_ORDER",
    "HISTORY_EVERY_BONUS",
    "HISTORY_QUIET_FACTOR",
    "Finding",
    "classify",
]
