"""Privacy modes at capture: hash-only content, a masking hook, disclosable sealing.

A :class:`Privacy` is handed to the recorder (``@record(privacy=...)``, or
``content="hash"`` as a shorthand) and applied to the ``createSnapshot`` arguments before
sealing. The record names what ran in its hashed ``privacy`` field:
``{"content": "full" | "hash", "mask": {"entryPoint", "codeDigest"} | null,
"disclosable": bool}``, so a reader knows a mask ran and which one.

- ``content="hash"``: the record keeps only ``inputHash`` and ``outputHash`` (NexArt's
  minimal shape: no prompt, input or output); the values of ``effectiveParameters`` and of the
  extra ``parameters`` become their digests. ``cerkit verify --content FILE`` later proves
  given content was the one recorded. A digest of a short value can be confirmed by guessing:
  use ``disclosable=True`` for values that must stay unguessable.
- ``mask``: a function run on the encoded input and output (and effective parameters, and
  the passed arguments among ``parameters``) before anything is hashed, e.g. PII scrubbing.
- ``disclosable``: salted commitments to prompt, input, output, parameters and effective
  parameters (the recorder puts the arguments in all three; see
  :mod:`cerkit.disclosure.commitments`); the openings go to ``openings`` (a callable),
  by default to ``.cerkit/openings/<hex>.json`` (0600).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from cerkit.digest import hash_payload
from cerkit.disclosure.commitments import DEFAULT_FIELDS
from cerkit.disclosure.redact import seal_disclosable
from cerkit.seal import certificate_hash, seal_args

#: The hashed snapshot field naming the privacy mode a record was captured under.
PRIVACY_FIELD: Final[str] = "privacy"
#: Where the recorder keeps openings by default (beside the default record store).
DEFAULT_OPENINGS_DIR: Final[str] = ".cerkit/openings"
#: The fields the recorder seals disclosable by default: it puts the arguments in all of
#: ``input``, ``parameters`` and ``effectiveParameters``.
RECORDER_FIELDS: Final[tuple[str, ...]] = (*DEFAULT_FIELDS, "parameters", "effectiveParameters")
_NEXART_PARAMETERS = frozenset(("temperature", "maxTokens", "topP", "seed"))


@dataclass(frozen=True)
class Privacy:
    """How a recording protects its content (module docstring)."""

    content: Literal["full", "hash"] = "full"
    mask: Callable[[Any], Any] | None = None
    disclosable: bool = False
    openings: Callable[[dict[str, Any]], None] | None = None
    #: The fields sealed disclosable; None: all of :data:`RECORDER_FIELDS`.
    fields: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.content not in ("full", "hash"):
            raise ValueError('content must be "full" or "hash"')
        if self.content == "hash" and self.disclosable:
            raise ValueError("a hash-only record has nothing to disclose")


def save_openings(document: dict[str, Any], directory: str | Path = DEFAULT_OPENINGS_DIR) -> Path:
    """Write an openings document to ``directory/<hex>.json`` with mode 0600."""
    from cerkit.atomic import write_atomic
    from cerkit.jsonio import dumps

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = folder / (str(document["certificateHash"]).removeprefix("sha256:") + ".json")
    write_atomic(target, dumps(document, pretty=True) + "\n", mode=0o600)
    return target


def prepare(
    args: dict[str, Any], privacy: Privacy, mask_identity: tuple[str, str | None] | None = None
) -> dict[str, Any]:
    """The arguments with the mask applied and the ``privacy`` field named.

    ``mask_identity`` is the mask's ``(entryPoint, codeDigest)``, from the capture side."""
    mask_info = None
    if privacy.mask is not None:
        entry, digest = mask_identity or (getattr(privacy.mask, "__qualname__", "?"), None)
        mask_info = {"entryPoint": entry, "codeDigest": digest}
        for name in ("input", "output", "effectiveParameters"):
            if name in args:
                args[name] = privacy.mask(args[name])
        # the arguments as passed also reach the NexArt parameters beside its four numbers
        parameters = args.get("parameters")
        passed = {
            k: v
            for k, v in (parameters.items() if isinstance(parameters, Mapping) else ())
            if k not in _NEXART_PARAMETERS
        }
        if passed:
            args["parameters"] = {**args["parameters"], **privacy.mask(passed)}
    args[PRIVACY_FIELD] = {
        "content": privacy.content,
        "mask": mask_info,
        "disclosable": privacy.disclosable,
    }
    if privacy.content == "hash":
        if isinstance(args.get("effectiveParameters"), Mapping):
            args["effectiveParameters"] = {
                k: hash_payload(v) for k, v in args["effectiveParameters"].items()
            }
        if isinstance(args.get("parameters"), Mapping):  # else sealing names the problem
            args["parameters"] = {
                k: v if k in _NEXART_PARAMETERS else hash_payload(v)
                for k, v in args["parameters"].items()
            }
    return args


def seal_private(args: dict[str, Any], created_at: str, privacy: Privacy) -> dict[str, Any]:
    """Seal prepared arguments under ``privacy``; openings go to their sink."""
    if privacy.disclosable:
        fields = privacy.fields or RECORDER_FIELDS
        bundle, openings = seal_disclosable(args, created_at=created_at, fields=fields)
        (privacy.openings or save_openings)(openings)
        return bundle
    bundle = seal_args(args, created_at=created_at)
    if privacy.content == "hash":
        for name in ("prompt", "input", "output"):
            bundle["snapshot"].pop(name, None)
        bundle["certificateHash"] = certificate_hash(bundle)
    return bundle


__all__ = [
    "DEFAULT_OPENINGS_DIR",
    "PRIVACY_FIELD",
    "RECORDER_FIELDS",
    "Privacy",
    "prepare",
    "save_openings",
    "seal_private",
]
