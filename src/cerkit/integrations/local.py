"""Local models and values: the model families, tried in order, and ``identify``.

A family is consulted only once its library has been imported (a value cannot be a numpy
array if numpy was never imported), so encoding never imports a heavy library. numpy comes
first: ``numpy.float64`` is also a ``float``.

>>> identify("gpt-4o", None)["requestedModel"]  # doctest: +SKIP
'gpt-4o'
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from typing import Any, Final

from cerkit.integrations.base import ContentPolicy, Encoder, ModelFamily, Sub, public_class_path

#: (library import name, family module) in the order they are tried.
FAMILIES: Final[tuple[tuple[str, str], ...]] = (
    ("numpy", "cerkit.integrations.numpy"),
    ("pandas", "cerkit.integrations.pandas"),
    ("transformers", "cerkit.integrations.transformers"),  # before torch: its models are modules
    ("torch", "cerkit.integrations.torch"),
    ("pydantic", "cerkit.integrations.pydantic"),
    ("sklearn", "cerkit.integrations.sklearn"),
)
_loaded: dict[str, ModelFamily] = {}


def _family(module: str) -> ModelFamily:
    family = _loaded.get(module)
    if family is None:
        family = _loaded[module] = importlib.import_module(module).FAMILY
    return family


def active() -> list[ModelFamily]:
    """The families whose library is imported, in order."""
    modules = sys.modules
    return [_family(module) for library, module in FAMILIES if library in modules]


def encode_value(value: Any, options: ContentPolicy, sub: Sub, encoder: Encoder) -> Any:
    """The first family's encoding of ``value``, or ``None`` when no family knows it."""
    for family in active():
        encoded = family.encode(value, options, sub, encoder)
        if encoded is not None:
            return encoded
    return None


def identify(model: Any, encoder: Encoder) -> dict[str, Any]:
    """``modelIdentity`` for whatever names a model: a mapping of identity fields, a path
    to weights, a model name, or a model object of a known family.

    Raises:
        FileNotFoundError: a path that does not exist.
    """
    if isinstance(model, Mapping):
        return dict(model)
    if isinstance(model, os.PathLike) or (isinstance(model, str) and os.path.exists(model)):
        from cerkit.integrations.files import identify_files

        return identify_files(model)
    if isinstance(model, str):
        return {"requestedModel": model}
    for family in active():
        identity = family.identify(model, encoder)
        if identity is not None:
            return identity
    return {"class": public_class_path(type(model))}


def model_name(identity: Mapping[str, Any]) -> str | None:
    """The name a record's ``model`` field should carry for this identity."""
    for key in ("servedModel", "requestedModel", "class"):
        value = identity.get(key)
        if isinstance(value, str) and value:
            return value
    return None


__all__ = ["FAMILIES", "active", "encode_value", "identify", "model_name"]
