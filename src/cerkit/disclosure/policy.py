"""The project's disclosure policy: ``[tool.cerkit.disclosure]`` (docs/config.md).

:mod:`cerkit.config` finds the file and keeps this table as given; this module owns its
meaning and its checks. Keys (each also a ``CERKIT_DISCLOSURE_*`` variable and a flag of the
commands that use it; flags > variables > the file > defaults)::

    [tool.cerkit.disclosure]
    fields = ["prompt", "input", "output"]   # sealed disclosable by default ([]: not)
    content = "full"                         # or "hash": keep only inputHash/outputHash
    withhold = ["snapshot.input"]            # cerkit redact's default --withhold
    mask = "myapp.privacy:scrub"             # a masking hook, module:qualname

The recorder applies ``fields``, ``content`` and ``mask`` to every record unless it is given
``privacy=`` or ``content=`` itself; ``cerkit seal`` applies them unless told otherwise by
``--disclosable``/``--fields``/``--no-disclosable``, ``--content`` and ``--mask``;
``cerkit redact`` takes ``withhold`` when ``--withhold`` is not given.

>>> load_policy(environ={"CERKIT_DISCLOSURE_FIELDS": "input,output"}, start="/").fields
('input', 'output')
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from cerkit.config import Config, ConfigError, load
from cerkit.disclosure.commitments import DEFAULT_FIELDS, locator_of
from cerkit.disclosure.privacy import Privacy
from cerkit.errors import CerkitError

#: The variable that sets each key.
ENV_KEYS: Final[Mapping[str, str]] = {
    "CERKIT_DISCLOSURE_FIELDS": "fields",
    "CERKIT_DISCLOSURE_CONTENT": "content",
    "CERKIT_DISCLOSURE_WITHHOLD": "withhold",
    "CERKIT_DISCLOSURE_MASK": "mask",
}
CONTENT_MODES: Final[tuple[str, ...]] = ("full", "hash")
#: Every field a record may be sealed disclosable on, in the order commitments list them.
FIELDS: Final[tuple[str, ...]] = (*DEFAULT_FIELDS, "parameters", "effectiveParameters")
_ENTRY_POINT = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*\Z")


@dataclass(frozen=True)
class DisclosurePolicy:
    """What the project asks of every record it seals and every copy it shares."""

    #: The fields sealed disclosable by default; empty: records are not disclosable.
    fields: tuple[str, ...] = ()
    content: Literal["full", "hash"] = "full"
    #: The paths ``cerkit redact`` withholds when ``--withhold`` is not given.
    withhold: tuple[str, ...] = ()
    #: A masking hook, ``module:qualname``, run on input and output before sealing.
    mask: str | None = None
    #: Where ``mask`` was set (``/repo/cerkit.toml: disclosure.mask``), for its errors.
    mask_origin: str = field(default="disclosure.mask", compare=False)

    @property
    def is_default(self) -> bool:
        """True when the policy asks for nothing: records are sealed as they are."""
        return not self.fields and self.content == "full" and self.mask is None

    def privacy(self, openings: Callable[[dict[str, Any]], None] | None = None) -> Privacy | None:
        """The recorder's :class:`Privacy` for this policy (``None`` when it asks for
        nothing); ``openings`` receives each disclosable record's openings.

        Raises:
            ConfigError: the mask does not import.
        """
        if self.is_default:
            return None
        return Privacy(
            content=self.content,
            mask=self.mask_function(),
            disclosable=bool(self.fields),
            openings=openings,
            fields=self.fields or None,
        )

    def mask_function(self) -> Callable[[Any], Any] | None:
        """The masking hook, imported.

        Raises:
            ConfigError: the module does not import, or the name is not a callable in it.
        """
        if self.mask is None:
            return None
        module_name, _, qualname = self.mask.partition(":")
        try:
            target: Any = importlib.import_module(module_name)
            for part in qualname.split("."):
                target = getattr(target, part)
        except AttributeError:
            raise ConfigError(f"{self.mask_origin}: {module_name} has no {qualname}") from None
        except Exception as exc:  # not found, or its code failed: SyntaxError, ImportError...
            raise ConfigError(f"{self.mask_origin}: cannot import {module_name}: {exc}") from None
        if not callable(target):
            raise ConfigError(f"{self.mask_origin}: {self.mask} is not callable")
        return target  # type: ignore[no-any-return]


#: The recorder's policy, per working directory and variables: decorating or entering a
#: recording must not parse the configuration file each time.
_RECORDER_CACHE: dict[tuple[str, tuple[str | None, ...]], Privacy | None] = {}


def recorder_privacy() -> Privacy | None:
    """The :class:`Privacy` the project's policy gives a recorder not told otherwise,
    read once per working directory and ``CERKIT_DISCLOSURE_*`` values.

    Raises:
        ConfigError: the policy is invalid (the recorder then refuses to record: a
            privacy policy that cannot be read must not be ignored).
    """
    key = (os.getcwd(), tuple(os.environ.get(variable) for variable in ENV_KEYS))
    if key not in _RECORDER_CACHE:
        _RECORDER_CACHE[key] = load_policy().privacy()
    return _RECORDER_CACHE[key]


def load_policy(
    start: str | os.PathLike[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    config: Config | None = None,
) -> DisclosurePolicy:
    """The policy in force: defaults, then the file, then variables, then flags.

    Each layer is checked on its own, so an error names where the bad value came from:
    the file and key, the variable, or the flag.

    Args:
        start: the folder to search upward from for the configuration file.
        environ: the variables (default ``os.environ``); see :data:`ENV_KEYS`.
        flags: keys given on the command line (``{"fields": "input,output"}``); ``None``
            values are ignored.
        config: a configuration already loaded (its file layer is used).

    Raises:
        ConfigError: a bad key or value, named with its file, variable or flag.
    """
    if config is None:
        config = load(start, environ={})  # the file alone: variables are checked below
    where = str(config.path) if config.path is not None else "configuration"
    policy = parse(config.disclosure, f"{where}: disclosure.")
    env = os.environ if environ is None else environ
    for variable, key in ENV_KEYS.items():
        if env.get(variable) is not None:
            policy = parse({key: env[variable]}, f"${variable}: ", policy)
    for key, value in (flags or {}).items():
        if value is not None:
            policy = parse({key: value}, f"--{key.replace('_', '-')}: ", policy)
    return policy


def parse(
    table: Mapping[str, Any], label: str, base: DisclosurePolicy | None = None
) -> DisclosurePolicy:
    """``base`` (default: the defaults) with the keys of ``table`` applied.

    ``label`` starts each error message (``"/repo/cerkit.toml: disclosure."``, or
    ``"$CERKIT_DISCLOSURE_FIELDS: "``). Lists may be given as comma-separated strings.

    Raises:
        ConfigError: an unknown key or a bad value.
    """
    unknown = sorted(set(table) - set(ENV_KEYS.values()))
    if unknown:
        raise ConfigError(
            f"{label}{unknown[0]}: unknown key (known: fields, content, withhold, mask)"
        )
    changes: dict[str, Any] = {}
    if "fields" in table:
        fields = _names(table["fields"], f"{label}fields")
        bad = [f for f in fields if f not in FIELDS]
        if bad:
            raise ConfigError(
                f"{label}fields: {bad[0]!r} cannot be disclosable (choose from {', '.join(FIELDS)})"
            )
        changes["fields"] = tuple(f for f in FIELDS if f in fields)
    if "content" in table:
        if table["content"] not in CONTENT_MODES:
            raise ConfigError(f'{label}content: must be "full" or "hash"')
        changes["content"] = table["content"]
    if "withhold" in table:
        withhold = _names(table["withhold"], f"{label}withhold")
        for path in withhold:
            try:
                locator_of(path)
            except CerkitError:
                raise ConfigError(
                    f"{label}withhold: {path!r} is not a snapshot path (snapshot.input, "
                    "snapshot.input.messages[0], ...)"
                ) from None
        changes["withhold"] = withhold
    if "mask" in table:
        mask = table["mask"]
        if mask == "":
            mask = None
        elif not isinstance(mask, str) or not _ENTRY_POINT.match(mask):
            raise ConfigError(f"{label}mask: must be an import path, module:qualname")
        changes["mask"], changes["mask_origin"] = mask, f"{label}mask"
    return replace(base or DisclosurePolicy(), **_settled(changes, label))


def _settled(changes: dict[str, Any], label: str) -> dict[str, Any]:
    """A hash-only record keeps no content to disclose: one layer may not ask for both,
    and a layer that asks for one overrides the other from the layers below it."""
    hashed, fields = changes.get("content") == "hash", changes.get("fields")
    if hashed and fields:
        raise ConfigError(
            f'{label}content: "hash" keeps no content to disclose; leave fields empty'
        )
    if hashed:
        changes["fields"] = ()
    elif fields and "content" not in changes:
        changes["content"] = "full"
    return changes


def _names(value: Any, label: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{label}: must be a list of strings")
    return tuple(value)


__all__ = [
    "CONTENT_MODES",
    "ENV_KEYS",
    "FIELDS",
    "DisclosurePolicy",
    "load_policy",
    "parse",
    "recorder_privacy",
]
