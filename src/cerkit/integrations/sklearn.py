"""scikit-learn: estimators by public class path, ``get_params()`` and a digest of the
fitted state (every public attribute ending in ``_``, nested estimators included)."""

from __future__ import annotations

from typing import Any

from cerkit.digest import HexDigest, hash_canonical
from cerkit.integrations.base import (
    ContentPolicy,
    Encoder,
    Sub,
    distribution_version,
    public_class_path,
    qualified_name,
)


def is_estimator(value: Any) -> bool:
    return hasattr(value, "get_params") and hasattr(value, "fit") and not isinstance(value, type)


def sklearn_state_digest(estimator: Any, encoder: Encoder) -> HexDigest:
    """Digest of an estimator's fitted state (public attributes ending in ``_``) and of the
    fitted state of the estimators among its parameters (pipelines, ensembles, searches)."""
    return hash_canonical(_state(estimator, encoder))


def _state(estimator: Any, encoder: Encoder) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name in sorted(vars(estimator)):
        if name.endswith("_") and not name.startswith("_"):
            state[name] = encoder(getattr(estimator, name), state=True)
    for name, value in sorted(estimator.get_params(deep=False).items()):
        for index, item in enumerate(_estimators_in(value)):
            state[f"{name}[{index}]"] = _state(item, encoder)
    return state


def _estimators_in(value: Any) -> list[Any]:
    if is_estimator(value):
        return [value]
    if isinstance(value, list | tuple):
        found = []
        for item in value:  # Pipeline.steps: [(name, estimator), ...]
            found.extend(_estimators_in(item[1] if isinstance(item, tuple) else item))
        return found
    return []


def _param_value(value: Any) -> Any:
    # Nested estimators appear by class; their own parameters are listed under their
    # ``step__param`` names by ``get_params(deep=True)`` and their state is in the digest.
    if is_estimator(value):
        return public_class_path(type(value))
    if isinstance(value, list | tuple):
        return [_param_value(item) for item in value]
    return value


def identify_sklearn(estimator: Any, encoder: Encoder) -> dict[str, Any]:
    """``modelIdentity`` of a scikit-learn estimator."""
    params = estimator.get_params(deep=True)
    return {
        "provider": "local",
        "framework": f"scikit-learn {distribution_version('scikit-learn')}",
        "class": public_class_path(type(estimator)),
        "parameters": encoder({k: _param_value(v) for k, v in params.items()}),
        "weightsDigest": sklearn_state_digest(estimator, encoder),
    }


class SklearnFamily:
    """The scikit-learn :class:`~cerkit.integrations.base.ModelFamily`."""

    module = "sklearn"

    def encode(self, value: Any, options: ContentPolicy, sub: Sub, encoder: Encoder) -> Any:
        if not is_estimator(value):
            return None
        return {
            "$type": "sklearn.estimator",
            "class": qualified_name(type(value)),
            "parameters": sub(value.get_params(deep=False)),
            "stateDigest": sklearn_state_digest(value, encoder),
        }

    def identify(self, model: Any, encoder: Encoder) -> dict[str, Any] | None:
        return identify_sklearn(model, encoder) if is_estimator(model) else None


FAMILY = SklearnFamily()
__all__ = ["FAMILY", "SklearnFamily", "identify_sklearn", "is_estimator", "sklearn_state_digest"]
