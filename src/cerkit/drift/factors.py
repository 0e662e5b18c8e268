"""Which candidate causes a re-run can test, and how: the pure half of confirmation.

A :class:`Setting` says what one re-run changes against the current environment: variables
set or unset, interpreter options, package versions put in an overlay, source files
restored from git, keyword arguments passed explicitly. :func:`conditions` is the setting
that recreates one record's recorded conditions (its allowlisted variables and interpreter
flags); :func:`plan` turns each ranked cause of an explanation into a :class:`Candidate`:
the setting that gives that one factor the *other* record's value, or the reason it cannot
be tested (docs/drift.md §5b lists them). Nothing here runs anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cerkit.drift.attribution import Cause, Explanation
from cerkit.drift.diff import MISSING, lookup

_ENV = ("snapshot", "environment")

#: Why a kind of factor cannot be flipped by a re-run on this machine.
UNTESTABLE: Final[Mapping[str, str]] = {
    "model": "the model is provider-side or built by the code; a re-run cannot pick the other one",
    "hardware": "hardware cannot be changed by a re-run",
    "numeric-stack": "a reading of the numeric stack; flip the variables that set it instead",
    "context": "tool results and context come from outside the record",
    "prompt": "a different prompt is a different request",
    "python": "another Python interpreter is not available to a re-run",
    "os": "another operating system cannot be recreated by a re-run",
    "seeds": "seeds are set by the code itself",
    "git": "the git facts summarise the source files; those are flipped one by one",
    "imports": "which packages were imported follows from the other changes",
    "package-set": "the package set as a whole; its packages are flipped one by one",
}

#: sys.flags member -> the interpreter option that sets it (repeated ``value`` times).
_FLAG_OPTIONS: Final[Mapping[str, str]] = {
    "optimize": "-O",
    "dont_write_bytecode": "-B",
    "no_user_site": "-s",
    "no_site": "-S",
    "ignore_environment": "-E",
    "verbose": "-v",
    "bytes_warning": "-b",
    "quiet": "-q",
    "isolated": "-I",
    "safe_path": "-P",
    "inspect": "-i",
}
_FLAG_XOPTIONS: Final[Mapping[str, str]] = {
    "dev_mode": "dev",
    "utf8_mode": "utf8",
    "warn_default_encoding": "warn_default_encoding",
}


@dataclass(frozen=True, slots=True)
class Setting:
    """What a re-run changes against the current environment (all parts sorted)."""

    env: tuple[tuple[str, str | None], ...] = ()  # (name, value); None unsets it
    flags: tuple[str, ...] | None = None  # interpreter options ("-O", "-X", "utf8"); None: as is
    packages: tuple[tuple[str, str], ...] = ()  # (distribution, version) in an overlay
    files: tuple[tuple[str, str, str], ...] = ()  # (path or "module:NAME", digest, qualname)
    kwargs: tuple[tuple[str, Any], ...] = ()  # encoded keyword arguments passed explicitly

    def over(self, base: Setting) -> Setting:
        """This setting applied on top of ``base`` (this one wins on every name)."""
        env = dict(base.env) | dict(self.env)
        packages = dict(base.packages) | dict(self.packages)
        files = {f[0]: f for f in base.files} | {f[0]: f for f in self.files}
        kwargs = dict(base.kwargs) | dict(self.kwargs)
        return Setting(
            tuple(sorted(env.items())),
            self.flags if self.flags is not None else base.flags,
            tuple(sorted(packages.items())),
            tuple(sorted(files.values())),
            tuple(sorted(kwargs.items())),
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.env:
            out["env"] = dict(self.env)
        if self.flags is not None:
            out["flags"] = list(self.flags)
        if self.packages:
            out["packages"] = dict(self.packages)
        if self.files:
            out["files"] = {path: digest for path, digest, _ in self.files}
        if self.kwargs:
            out["kwargs"] = dict(self.kwargs)
        return out


@dataclass(frozen=True, slots=True)
class Candidate:
    """One cause, as a re-run would test it: a setting, or the reason it cannot be tested."""

    category: str
    subject: str
    score: int
    kind: str  # env | flags | package | file | default | "" (not testable)
    setting: Setting | None
    reason: str = ""

    @property
    def testable(self) -> bool:
        return self.setting is not None

    @property
    def name(self) -> str:
        return f"{self.category}:{self.subject}"


def env_values(record: Mapping[str, Any]) -> dict[str, str]:
    values = lookup(record, (*_ENV, "envVars", "values"))
    return dict(values) if isinstance(values, Mapping) else {}


def _redacted(record: Mapping[str, Any]) -> set[str]:
    redacted = lookup(record, (*_ENV, "envVars", "redacted"))
    return set(redacted) if isinstance(redacted, Mapping) else set()


def _flag_state(record: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    python = lookup(record, (*_ENV, "python"))
    if not isinstance(python, Mapping) or not isinstance(python.get("flags"), Mapping):
        return None
    xoptions = python.get("xoptions")
    return dict(python["flags"]), dict(xoptions) if isinstance(xoptions, Mapping) else {}


def render_flags(flags: Mapping[str, Any], xoptions: Mapping[str, Any]) -> tuple[str, ...]:
    """The interpreter options that give these ``sys.flags`` members and ``-X`` options."""
    options: list[str] = []
    for name, value in sorted(flags.items()):
        if name in _FLAG_OPTIONS and isinstance(value, int) and value > 0:
            options.extend([_FLAG_OPTIONS[name]] * (1 if name != "optimize" else value))
        elif name in _FLAG_XOPTIONS and value:
            options.extend(["-X", _FLAG_XOPTIONS[name]])
        elif name == "int_max_str_digits" and isinstance(value, int) and value > 0:
            options.extend(["-X", f"int_max_str_digits={value}"])
    for key, value in sorted(xoptions.items()):
        if key in _FLAG_XOPTIONS.values() or key == "int_max_str_digits":
            continue  # already given by its sys.flags member
        options.extend(["-X", key if value is True else f"{key}={value}"])
    return tuple(options)


def interpreter_flags(record: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The interpreter options that recreate the record's ``sys.flags`` and ``-X`` options,
    or ``None`` when the record does not say."""
    state = _flag_state(record)
    return render_flags(*state) if state is not None else None


def conditions(record: Mapping[str, Any], other: Mapping[str, Any]) -> Setting:
    """The setting that recreates ``record``'s recorded conditions: every variable either
    record recorded gets ``record``'s value (or is unset), and its interpreter flags."""
    mine, theirs = env_values(record), env_values(other)
    hidden = _redacted(record) | _redacted(other)
    names = (set(mine) | set(theirs)) - hidden
    env = tuple(sorted((name, mine.get(name)) for name in names))
    return Setting(env=env, flags=interpreter_flags(record))


def plan(explanation: Explanation, base: Mapping[str, Any]) -> tuple[Candidate, ...]:
    """A :class:`Candidate` per ranked cause: flip it from ``base`` to the other record.

    Args:
        explanation: the explanation of the two records (``diff.a`` and ``diff.b``).
        base: the record the current environment reproduces (one of the two).
    """
    a, b = explanation.diff.a, explanation.diff.b
    other = a if base is b else b
    return tuple(_candidate(cause, base, other) for cause in explanation.causes)


class _Make:
    """Builds the candidate of one cause: testable with a setting, or not with a reason."""

    def __init__(self, cause: Cause) -> None:
        self.cause = cause

    def no(self, reason: str) -> Candidate:
        c = self.cause
        return Candidate(c.category, c.subject, c.score, "", None, reason)

    def yes(self, kind: str, setting: Setting) -> Candidate:
        c = self.cause
        return Candidate(c.category, c.subject, c.score, kind, setting)


def _candidate(cause: Cause, base: Mapping[str, Any], other: Mapping[str, Any]) -> Candidate:
    make = _Make(cause)
    no, yes = make.no, make.yes
    paths = [c.path for c in cause.changes]
    if cause.category == "environment":
        if cause.subject in _redacted(base) | _redacted(other):
            return no("the variable looks like a secret; its value is not recorded")
        return yes("env", Setting(env=((cause.subject, env_values(other).get(cause.subject)),)))
    if cause.category == "runtime":
        return _runtime(cause, base, other, make)
    if cause.category == "dependency":
        return _dependency(cause, paths, other, make)
    if cause.category == "parameter-default":
        value = lookup(other, ("snapshot", "effectiveParameters", cause.subject))
        if value is MISSING:
            return no("the other record has no effective value for this parameter")
        if lookup(base, ("snapshot", "execution", "kind")) != "python":
            return no("only a recorded Python call takes keyword arguments")
        return yes("default", Setting(kwargs=((cause.subject, value),)))
    if cause.category == "code":
        return _code(paths, other, make)
    return no(UNTESTABLE.get(cause.category, f"no re-run can flip a {cause.category} change"))


def _runtime(cause: Cause, base: Any, other: Any, make: _Make) -> Candidate:
    no, yes = make.no, make.yes
    part, _, field = cause.subject.partition(".")
    if part == "python" and field.startswith(("flags.", "xoptions.")):
        mine, theirs = _flag_state(base), _flag_state(other)
        if mine is None or theirs is None:
            return no("the records do not hold their interpreter flags")
        group, _, name = field.partition(".")
        index = 0 if group == "flags" else 1
        flipped = [dict(mine[0]), dict(mine[1])]
        if name in theirs[index]:
            flipped[index][name] = theirs[index][name]
        else:
            flipped[index].pop(name, None)
        return yes("flags", Setting(flags=render_flags(flipped[0], flipped[1])))
    if part == "locale":
        value = lookup(other, (*_ENV, "locale", *field.split(".")))
        if not isinstance(value, str):
            return no("the other record's locale is not known")
        if field == "timezone":
            return yes("env", Setting(env=(("TZ", value),)))
        if field in ("locale", "categories.LC_CTYPE"):
            return yes("env", Setting(env=(("LC_CTYPE", value),)))
        if field.startswith("categories."):
            return yes("env", Setting(env=((field.removeprefix("categories."), value),)))
        return no("the encoding follows from the locale, which is flipped on its own")
    return no(UNTESTABLE.get(part, UNTESTABLE["os"]))


def _dependency(cause: Cause, paths: list[str], other: Any, make: _Make) -> Candidate:
    no, yes = make.no, make.yes
    if not any(".packages.installed." in p for p in paths):
        if any(".imported.packages." in p for p in paths):
            return no(UNTESTABLE["imports"])
        return no(UNTESTABLE["package-set"])
    version = lookup(other, (*_ENV, "packages", "installed", cause.subject))
    if version is MISSING:
        return no("not installed in the other record; an overlay cannot hide a package")
    if not isinstance(version, str) or version == "unknown":
        return no("the other record's version of the package is unknown")
    return yes("package", Setting(packages=((cause.subject, version),)))


def _code(paths: list[str], other: Any, make: _Make) -> Candidate:
    no, yes = make.no, make.yes
    files = [p for p in paths if ".userCode.files." in p]
    if files:
        flips = []
        for path in files:
            name = path.split(".userCode.files.", 1)[1]
            digest = _source_digest(other, name)
            if digest is None:
                return no(f"the other record holds no digest of {name}")
            flips.append((name, digest, ""))
        return yes("file", Setting(files=tuple(sorted(flips))))
    if any(p.endswith("execution.codeDigest") for p in paths):
        entry = lookup(other, ("snapshot", "execution", "entryPoint"))
        digest = lookup(other, ("snapshot", "execution", "codeDigest"))
        module, _, qualname = str(entry).partition(":")
        if not isinstance(digest, str) or not qualname or module == "__main__":
            return no("the entry point's module cannot be located for a restore")
        return yes("file", Setting(files=((f"module:{module}", digest, qualname),)))
    if any(".git." in p or p.endswith(".git") for p in paths):
        return no(UNTESTABLE["git"])
    if any(p.endswith("execution.seeds") or ".seeds." in p for p in paths):
        return no(UNTESTABLE["seeds"])
    return no("a different entry point, kind or command line is a different request")


def _source_digest(record: Mapping[str, Any], name: str) -> str | None:
    value = lookup(record, ("snapshot", "execution", "userCode", "files"))
    value = value.get(name) if isinstance(value, Mapping) else None
    return value if isinstance(value, str) else None


def testable(candidates: Iterable[Candidate]) -> list[Candidate]:
    return [c for c in candidates if c.testable]


__all__ = [
    "UNTESTABLE",
    "Candidate",
    "Setting",
    "conditions",
    "env_values",
    "interpreter_flags",
    "plan",
    "render_flags",
    "testable",
]
