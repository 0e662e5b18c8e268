"""Hugging Face transformers: local models and pipelines (``pip install 'cerkit[transformers]'``).

>>> import cerkit.integrations.transformers as cerkit_hf            # doctest: +SKIP
>>> recording = cerkit_hf.instrument(pipe)   # a pipeline or a model; each call one record

Two parts, as for every framework:

* the **model family**: ``identify(pipeline_or_model)`` gives ``modelIdentity`` (class,
  where it was loaded from, a digest of its config, a per-file manifest of its weight files,
  the tokenizer's class and files, dtype, device, quantization, adapters), used by
  ``@cerkit.record(model=pipe)`` as by :func:`instrument`;
* the **call integration**: :func:`instrument` records each ``pipeline(...)`` or
  ``model.generate(...)`` call with the generation settings in effect: the model's
  ``generation_config`` merged with what the call passed, every setting in
  ``effectiveParameters`` with its source (``passed``, ``model-default`` when the model's
  ``generation_config.json`` sets it, ``default`` for the library's own default). A changed
  default in a model's generation config therefore reads as one in a drift report.

Digests of weight files and of in-memory weights are computed once per model object.
"""

from __future__ import annotations

import functools
import os
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cerkit.digest import hash_canonical
from cerkit.integrations.base import (
    NO_PROMPT,
    PASSED,
    ContentPolicy,
    Encoder,
    Request,
    Response,
    StreamFold,
    Sub,
    distribution_version,
    qualified_name,
)
from cerkit.integrations.files import weights_manifest

if TYPE_CHECKING:
    from cerkit.integrations._patch import Instrumentation

PROVIDER: Final[str] = "transformers"
#: Files that hold weights (the manifest lists these; configs are digested separately).
WEIGHT_SUFFIXES: Final[tuple[str, ...]] = (
    ".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf", ".h5", ".msgpack", ".onnx",
)  # fmt: skip
#: Tokenizer files other than the vocabulary files each tokenizer class names.
TOKENIZER_FILES: Final[frozenset[str]] = frozenset(
    ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
     "chat_template.jinja", "chat_template.json")
)  # fmt: skip
#: ``generate`` arguments that are the input, not settings.
_INPUTS: Final[frozenset[str]] = frozenset(
    ("inputs", "input_ids", "attention_mask", "pixel_values", "inputs_embeds", "streamer")
)
_digests: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()


def _is_pipeline(target: Any) -> bool:
    return hasattr(target, "model") and hasattr(target, "task")


def _model_of(target: Any) -> Any:
    return target.model if _is_pipeline(target) else target


def _is_model(value: Any) -> bool:
    return (hasattr(value, "config") and hasattr(value, "generation_config")) or _is_pipeline(value)


def config_digest(config: Any) -> str:
    """Digest of a model config, without where it was loaded from."""
    values = {k: v for k, v in config.to_dict().items() if k != "_name_or_path"}
    return hash_canonical(_jsonable(values))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _weights(model: Any, source: str) -> dict[str, Any]:
    cached = _digests.get(model)
    if cached is None:
        if source and os.path.isdir(source):
            manifest = {
                name: digest
                for name, digest in weights_manifest(source).items()
                if name.endswith(WEIGHT_SUFFIXES)
            }
            cached = {"weightsManifest": manifest, "weightsDigest": hash_canonical(manifest)}
        else:  # built or changed in memory: the loaded tensors themselves
            from cerkit.integrations.torch import torch_weights_digest

            cached = {"weightsDigest": torch_weights_digest(model)}
        _digests[model] = cached
    return cached


def tokenizer_identity(tokenizer: Any) -> dict[str, Any]:
    """``modelIdentity.tokenizer``: class, the files it was loaded from, their digest."""
    cached = _digests.get(tokenizer)
    if cached is None:
        cached = _digests[tokenizer] = _tokenizer_identity(tokenizer)
    return cached


def _tokenizer_identity(tokenizer: Any) -> dict[str, Any]:
    identity: dict[str, Any] = {"class": qualified_name(type(tokenizer))}
    folder = getattr(tokenizer, "name_or_path", "") or ""
    if folder and os.path.isdir(folder):
        wanted = TOKENIZER_FILES | set(getattr(tokenizer, "vocab_files_names", {}).values())
        files = {n: d for n, d in weights_manifest(folder).items() if Path(n).name in wanted}
        identity["files"] = files
        identity["digest"] = hash_canonical(files)
    return identity


def identify(target: Any, tokenizer: Any = None) -> dict[str, Any]:
    """``modelIdentity`` of a pipeline or a ``PreTrainedModel`` (see the module docstring)."""
    model = _model_of(target)
    config = model.config
    source = str(getattr(config, "_name_or_path", "") or "")
    identity: dict[str, Any] = {
        "provider": "local",
        "framework": f"transformers {distribution_version('transformers')}",
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "requestedModel": source or type(model).__qualname__,
        "configDigest": config_digest(config),
        "dtype": str(getattr(model, "dtype", "unknown")).removeprefix("torch."),
        "device": str(getattr(model, "device", "unknown")),
        **_weights(model, source),
    }
    revision = getattr(config, "_commit_hash", None)
    if revision:
        identity["revision"] = revision
    quantization = getattr(config, "quantization_config", None)
    if quantization is not None:
        identity["quantization"] = _jsonable(
            getattr(quantization, "to_dict", lambda: quantization)()
        )
    adapters = getattr(model, "peft_config", None)
    if isinstance(adapters, Mapping):
        identity["adapters"] = sorted(str(name) for name in adapters)
    tokenizer = tokenizer or getattr(target, "tokenizer", None)
    if tokenizer is not None:
        identity["tokenizer"] = tokenizer_identity(tokenizer)
    if _is_pipeline(target):
        identity["task"] = target.task
    return identity


@functools.lru_cache(maxsize=1)
def library_defaults() -> dict[str, Any]:
    """The settings ``generate`` applies when neither the model nor the call sets them: a
    fresh ``GenerationConfig``, its unset (``None``) fields filled as ``generate`` fills
    them (``GenerationConfig._get_default_generation_params`` in transformers 5)."""
    import transformers

    config_class: Any = transformers.GenerationConfig
    defaults: dict[str, Any] = config_class().to_dict()
    fill = getattr(config_class, "_get_default_generation_params", None)
    for name, value in (fill() if callable(fill) else {}).items():
        if defaults.get(name) is None:
            defaults[name] = value
    return defaults


def generation_config(target: Any) -> dict[str, Any]:
    """The generation config a pipeline or model would use now, as a dict (a copy: it is
    read on the caller's thread, at call time)."""
    config = getattr(target, "generation_config", None) or _model_of(target).generation_config
    return dict(config.to_dict())


def generation_settings(
    config: Mapping[str, Any], passed: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """``(effective, sources, library_defaults)``: the generation settings a call runs with,
    from the model's generation config and what the call passed."""
    library = library_defaults()
    effective, sources = {}, {}
    for name, value in config.items():
        if name.startswith("_") or name == "transformers_version":
            continue
        default = library.get(name)
        if value is None or value == default:
            effective[name], sources[name] = _jsonable(default), "default"
        else:
            effective[name], sources[name] = _jsonable(value), "model-default"
    for name, value in passed.items():
        effective[name], sources[name] = _jsonable(value), PASSED
    return effective, sources, library


class TransformersIntegration:
    """The transformers :class:`~cerkit.integrations.base.CallIntegration`; ``client`` is
    ``(pipeline or model, its generation config at call time)``."""

    provider = PROVIDER

    def __init__(self, tokenizer: Any = None) -> None:
        self.tokenizer = tokenizer

    def request(self, api: str, kwargs: Mapping[str, Any], client: Any) -> Request:
        from cerkit.capture.encode import encode

        target, config = client
        inputs = {k: encode(v) for k, v in kwargs.items() if k in _INPUTS and k != "streamer"}
        passed = {k: v for k, v in kwargs.items() if k not in _INPUTS}
        effective, sources, library = generation_settings(config, passed)
        identity = identify(target, self.tokenizer)
        parameters = _nexart(passed, library)
        return Request(
            api=api,
            requested_model=str(identity["requestedModel"]),
            prompt=_instructions(kwargs.get("inputs")),
            input=inputs,
            parameters=parameters,
            effective=effective,
            sources=sources,
            identity=identity,
        )

    def response(self, request: Request, result: Any) -> Response:
        from cerkit.capture.encode import encode

        sequences = getattr(result, "sequences", result)
        return Response(output=encode(sequences), served_model=request.identity["weightsDigest"])

    def fold(self, api: str) -> StreamFold:
        raise NotImplementedError("transformers calls are not streamed")

    def stream(self, request: Request, fold: StreamFold, result: Any) -> Response:
        raise NotImplementedError("transformers calls are not streamed")

    def error(self, exc: BaseException) -> dict[str, Any]:
        kind = type(exc)
        return {"type": f"{kind.__module__}.{kind.__qualname__}", "message": str(exc)}


def _nexart(passed: Mapping[str, Any], library: Mapping[str, Any]) -> dict[str, Any]:
    # As passed, else the library's default: the model's own defaults stay out of the
    # execution key, so a changed default is drift, not a different request.
    def number(*names: str, fallback: Any) -> Any:
        for name in names:
            value = passed.get(name, library.get(name))
            if isinstance(value, int | float) and not isinstance(value, bool):
                return value
        return fallback

    parameters = {
        "temperature": number("temperature", fallback=1),
        "maxTokens": number("max_new_tokens", "max_length", fallback=0),
        "topP": number("top_p", fallback=None),
        "seed": None,
    }
    parameters.update((k, _jsonable(v)) for k, v in passed.items() if k not in parameters)
    return parameters


def _instructions(inputs: Any) -> str:
    if isinstance(inputs, list) and inputs and isinstance(inputs[0], Mapping):
        texts = [m.get("content", "") for m in inputs if m.get("role") in ("system", "developer")]
        return "\n\n".join(str(t) for t in texts) or NO_PROMPT
    return NO_PROMPT


class TransformersFamily:
    """The transformers :class:`~cerkit.integrations.base.ModelFamily`."""

    module = "transformers"

    def encode(self, value: Any, options: ContentPolicy, sub: Sub, encoder: Encoder) -> Any:
        if not _is_model(value) or not hasattr(_model_of(value), "config"):
            return None
        model = _model_of(value)
        return {
            "$type": "transformers.model",
            "class": qualified_name(type(model)),
            "configDigest": config_digest(model.config),
            "weightsDigest": _weights(model, str(model.config._name_or_path or ""))[
                "weightsDigest"
            ],
        }

    def identify(self, model: Any, encoder: Encoder) -> dict[str, Any] | None:
        if not _is_model(model) or not hasattr(_model_of(model), "config"):
            return None
        return identify(model)


FAMILY = TransformersFamily()


def instrument(target: Any, *, tokenizer: Any = None, **options: Any) -> Instrumentation:
    """Record every call of a pipeline (``pipe(...)``) or of a model's ``generate``.

    Args:
        target: a ``transformers.Pipeline`` or a ``PreTrainedModel``.
        tokenizer: the model's tokenizer, named in ``modelIdentity`` (a pipeline's own is
            used when not given).
        **options: record options, as for :func:`cerkit.integrations.openai.instrument`.
    """
    # Imported here: the model family above must not import the recorder (which imports
    # the encoder that consults the families).
    from cerkit.integrations._calls import Recorder, record_options
    from cerkit.integrations._patch import Instrumentation

    recorder = Recorder(TransformersIntegration(tokenizer), record_options(**options))
    handle = Instrumentation(recorder)
    if _is_pipeline(target):
        kind = type(target)

        def call(self: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
            method = kind.__call__.__get__(self)
            recorded = {"inputs": inputs, **kwargs}
            client = (self, generation_config(self))
            return recorder.call(
                "transformers.pipeline", method, (inputs, *args), kwargs, client, recorded
            )

        # Special methods are looked up on the type: give this one object its own subclass.
        target.__class__ = type(kind.__name__, (kind,), {"__call__": call})
        handle.on_undo(lambda: setattr(target, "__class__", kind))
    else:
        generate = target.generate

        def recorded_generate(*args: Any, **kwargs: Any) -> Any:
            recorded = {"inputs": args[0], **kwargs} if args else kwargs
            client = (target, generation_config(target))
            return recorder.call("transformers.generate", generate, args, kwargs, client, recorded)

        handle.replace(target, "generate", recorded_generate)
    return handle


__all__ = [
    "FAMILY",
    "PROVIDER",
    "TransformersFamily",
    "TransformersIntegration",
    "config_digest",
    "generation_settings",
    "identify",
    "instrument",
    "tokenizer_identity",
]
