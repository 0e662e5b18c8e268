"""Building one record from a capture: the snapshot arguments, sealing, hooks, storing.

:class:`Capture` is shared by the Python recorder and the command wrapper. It holds what was
observed (encoded inputs, timing, status) and turns it into ``createSnapshot`` arguments
following the field contract in docs/capture.md, then seals with :func:`cerkit.seal.seal`.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import CodeType, FrameType
from typing import Any

from cerkit.capture import _seeds, collect
from cerkit.capture._sources import module_name
from cerkit.capture.encode import EncodeOptions, encode
from cerkit.capture.fingerprint import canonical_environment, fingerprint, user_code
from cerkit.capture.secrets import scrub
from cerkit.capture.workflow import current as current_workflow
from cerkit.digest import PREFIX, hash_payload
from cerkit.seal import seal_args

#: A post-seal hook: receives the sealed bundle, returns it (possibly with ``meta`` added,
#: e.g. a producer signature or an attestation receipt) or ``None`` to keep it as is.
Hook = Callable[[dict[str, Any]], "dict[str, Any] | None"]

# Keyword arguments that fill NexArt's four parameters when passed by keyword.
_NEXART_ALIASES: dict[str, tuple[str, ...]] = {
    "temperature": ("temperature",),
    "maxTokens": ("maxTokens", "max_tokens", "max_new_tokens", "max_output_tokens"),
    "topP": ("topP", "top_p"),
    "seed": ("seed",),
}
_NEXART_DEFAULTS: dict[str, Any] = {"temperature": 0, "maxTokens": 0, "topP": None, "seed": None}
_code_cache: dict[int, tuple[CodeType, tuple[str, str | None, str]]] = {}
_cache_lock = threading.Lock()


_second: tuple[int, str] = (-1, "")


def iso_time(seconds: float) -> str:
    """``time.time()`` as JavaScript's ``toISOString`` writes it (milliseconds, ``Z``)."""
    global _second
    whole = int(seconds)
    if _second[0] != whole:  # formatting the date and time once per second is enough
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int((seconds - whole) * 1000):03d}Z"


def code_identity(
    target: Callable[..., Any] | CodeType | None, frame: FrameType | None = None
) -> tuple[str, str | None, str]:
    """``(entry_point, code_digest, code_source)`` of a function or code object, cached.

    The digest is over the source text when it can be read (``code_source`` is
    ``"source"``), else over the marshalled bytecode (``"bytecode"``), else ``None``.
    """
    # Only code objects are cached (a recorded block asks at every call; a decorated function
    # asks once). Keyed by identity, not equality: code objects compare equal across a
    # reload when only a default value changed, but the source (and digest) did change. The
    # entry holds the code object, so its id cannot be reused while cached.
    code = target if isinstance(target, CodeType) else getattr(target, "__code__", None)
    key = id(target) if isinstance(target, CodeType) else None
    cached = _code_cache.get(key) if key is not None else None
    if cached is not None and cached[0] is target:
        return cached[1]
    if frame is not None:
        module = module_name(frame.f_globals)
        qualname = code.co_qualname if code is not None else "<unknown>"
    else:
        module = getattr(target, "__module__", None) or "__main__"
        namespace = getattr(target, "__globals__", None)
        if module == "__main__" and isinstance(namespace, dict):
            module = module_name(namespace)  # a script: named by its file
        qualname = getattr(target, "__qualname__", None) or repr(target)
    entry = f"{module}:{qualname}"
    digest, source = None, "unavailable"
    try:
        text = inspect.getsource(target)  # type: ignore[arg-type]
        digest, source = PREFIX + hashlib.sha256(text.encode("utf-8")).hexdigest(), "source"
    except (OSError, TypeError):
        if code is not None:
            import marshal

            digest = PREFIX + hashlib.sha256(marshal.dumps(code)).hexdigest()
            source = "bytecode"
    result = (entry, digest, source)
    if isinstance(target, CodeType):
        with _cache_lock:
            _code_cache[id(target)] = (target, result)
    return result


def _nexart_parameters(passed: Mapping[str, Any]) -> dict[str, Any]:
    parameters = dict(_NEXART_DEFAULTS)
    for name, aliases in _NEXART_ALIASES.items():
        for alias in aliases:
            value = passed.get(alias)
            if isinstance(value, int | float) and not isinstance(value, bool):
                parameters[name] = value
                break
    parameters.update((k, v) for k, v in passed.items() if k not in parameters)
    return parameters


@dataclass
class Capture:
    """One execution being recorded."""

    kind: str
    entry_point: str
    code_digest: str | None
    code_source: str
    provider: str
    model: Any
    store: Any
    options: EncodeOptions
    hooks: tuple[Hook, ...]
    seed_mark: int
    input: Any = None
    passed: dict[str, Any] = field(default_factory=dict)
    effective: dict[str, Any] = field(default_factory=dict)
    extra_execution: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    started: float = 0.0
    clock: float = 0.0
    keep_output: bool = False
    privacy: Any = None  # a cerkit.disclosure.privacy.Privacy, or None
    module: str | None = None  # the entry point's module (what it imported counts)
    imported: dict[str, Any] | None = None  # a command's child reported its own imports

    def start_clock(self) -> None:
        self.started, self.clock = time.time(), time.perf_counter()

    def call(
        self,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        bind: Callable[[tuple[Any, ...], dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]],
    ) -> None:
        """Encode a function call's inputs (before the call: the callee may mutate them).

        ``bind`` gives the arguments as passed and as applied, by parameter name."""
        memo: dict[int, Any] = {}

        def enc(value: Any) -> Any:
            key = id(value)
            if key not in memo:
                memo[key] = encode(value, self.options)
            return memo[key]

        encoded_kwargs = {name: enc(value) for name, value in kwargs.items()}
        self.input = {"args": [enc(value) for value in args], "kwargs": encoded_kwargs}
        passed, effective = bind(args, kwargs)
        self.passed = {name: enc(value) for name, value in passed.items()}
        self.effective = {name: enc(value) for name, value in effective.items()}
        self.start_clock()

    def block(self, inputs: Any, parameters: Mapping[str, Any]) -> None:
        """Encode a recorded block's declared inputs and parameters."""
        self.input = encode(inputs, self.options) if inputs is not None else {}
        self.passed = encode(dict(parameters), self.options)
        self.effective = dict(self.passed)
        self.start_clock()

    def add_tool_call(self, name: str, arguments: Any, result: Any, **fields: Any) -> None:
        entry = {
            "name": name,
            "version": fields.pop("version", None),
            "argumentsHash": hash_payload(encode(arguments, self.options)),
            "resultHash": hash_payload(encode(result, self.options)),
            "startedAt": fields.pop("startedAt", iso_time(time.time())),
            "durationMs": fields.pop("durationMs", None),
            "status": fields.pop("status", "ok"),
        }
        self.tool_calls.append({**entry, **encode(fields, self.options)})

    def finish(
        self, output: Any, error: BaseException | None, *, keep_output: bool = False
    ) -> dict[str, Any]:
        """Seal the record, run the hooks, store it, and return the bundle.

        ``keep_output`` records ``output`` even when ``error`` is set (a command that exits
        non-zero still has an output); otherwise an error's output is ``{"error": ...}``.
        """
        self.keep_output = keep_output
        ended = time.time()
        duration_ms = round((time.perf_counter() - self.clock) * 1000, 3)
        seeds = _seeds.seeds_since(self.seed_mark)
        args = self._snapshot_args(output, error, ended, duration_ms, seeds)
        return seal_record(args, iso_time(ended), self.hooks, self.store, self.privacy)

    def _snapshot_args(
        self, output: Any, error: BaseException | None, ended: float, duration_ms: float, seeds: Any
    ) -> dict[str, Any]:
        identity = _model_identity(self.model)
        status = "ok" if error is None else "error"
        failure = None
        if error is not None:
            failure = {"type": type_name(error), "message": scrub(str(error))}
        if error is not None and not self.keep_output:
            encoded_output: Any = {"error": failure}
        else:
            encoded_output = encode(output, self.options)
            if encoded_output is None:  # NexArt requires a non-null output
                encoded_output = {"$type": "none"}
        effective = self.effective
        if identity and "parameters" in identity and self.kind == "python" and not effective:
            effective = dict(identity["parameters"])
        started = iso_time(self.started)
        execution = {
            "kind": self.kind,
            "entryPoint": self.entry_point,
            "codeDigest": self.code_digest,
            "codeSource": self.code_source,
            "startedAt": started,
            "endedAt": iso_time(ended),
            "durationMs": duration_ms,
            "status": status,
            "error": failure,
            "seeds": seeds,
            **scrub(self.extra_execution),
        }
        if self.kind == "python":
            execution["userCode"] = user_code(self.module)
        args: dict[str, Any] = {
            "executionId": os.urandom(16).hex(),  # random, like uuid4, without its overhead
            "timestamp": started,
            "provider": self.provider,
            "model": _model_name(identity) or self.entry_point,
            "prompt": self.entry_point,
            # Secrets are filtered from everything that came from the caller (docs/capture.md).
            "input": scrub(self.input),
            "output": scrub(encoded_output),
            "parameters": _nexart_parameters(scrub(self.passed)),
            "effectiveParameters": scrub(effective),
            "execution": execution,
            "toolCalls": scrub(self.tool_calls),
        }
        if identity:
            args["modelIdentity"] = scrub(identity)
        environment = fingerprint(self.module)  # filtered by its own allowlist
        if self.imported is not None:
            environment["imported"] = self.imported
        args["environment"] = environment
        return args


#: ``seal_record(workflow=AMBIENT)``: the workflow active in the caller's context.
AMBIENT: Any = object()


def seal_record(
    args: dict[str, Any],
    created_at: str,
    hooks: tuple[Hook, ...],
    store: Any,
    privacy: Any = None,
    workflow: Any = AMBIENT,
) -> dict[str, Any]:
    """Seal ``createSnapshot`` arguments whose ``environment`` came from ``fingerprint()``,
    run the post-seal hooks and write the bundle to ``store`` (``False``: no store).

    Inside a workflow (``workflow``: a :class:`cerkit.capture.workflow.Workflow`, ``None``
    for none, or the one active in this context), the record is sealed as its next step.
    Shared by the recorder, the command wrapper and the integrations (cerkit.integrations).
    """
    if workflow is AMBIENT:
        workflow = current_workflow()
    if workflow is not None:
        return workflow.add_step(  # type: ignore[no-any-return]
            args, lambda step: _seal_record(step, created_at, hooks, store, privacy)
        )
    return _seal_record(args, created_at, hooks, store, privacy)


def _seal_record(
    args: dict[str, Any], created_at: str, hooks: tuple[Hook, ...], store: Any, privacy: Any
) -> dict[str, Any]:
    # The environment is large and the same for many records: seal over its cached
    # canonical bytes (canonical JSON is compositional), then put the object back.
    environment = args["environment"]
    args["environment"] = canonical_environment(environment)
    if privacy is not None:  # hash-only content, a mask, disclosable sealing
        from cerkit.disclosure.privacy import prepare, seal_private

        mask = code_identity(privacy.mask)[:2] if privacy.mask is not None else None
        bundle = seal_private(prepare(args, privacy, mask), created_at, privacy)
    else:
        bundle = seal_args(args, created_at=created_at)
    bundle["snapshot"]["environment"] = environment
    for hook in hooks:
        try:
            bundle = hook(bundle) or bundle
        except Exception as exc:  # a failed signature or attestation keeps the record
            warnings.warn(f"cerkit post-seal hook failed: {exc}", RuntimeWarning, stacklevel=4)
    collect.notify(bundle)
    if store is not False:
        from cerkit.ledger.factory import shared_record_store

        # Queued: the SQLite store's background writer commits it in a group.
        shared_record_store(store).put_later(bundle)
        _announce(store)
    return bundle


_announced: set[str] = set()


def _announce(spec: Any) -> None:
    """Say once per process and store, on stderr, where records go (``CERKIT_QUIET=1``: not)."""
    if not (spec is None or isinstance(spec, str | os.PathLike)) or os.environ.get("CERKIT_QUIET"):
        return
    from cerkit.ledger._sql import redact_url
    from cerkit.ledger.factory import store_url

    where = redact_url(store_url(spec))
    if where not in _announced:
        _announced.add(where)
        print(f"cerkit: recording into {where} (CERKIT_QUIET=1 hides this)", file=sys.stderr)


def type_name(error: BaseException) -> str:
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _model_identity(model: Any) -> dict[str, Any] | None:
    """The ``modelIdentity`` field; a model that cannot be identified is recorded as
    unknown rather than costing the record."""
    if model is None:
        return None
    from cerkit.capture.encode import encoder
    from cerkit.integrations.local import identify

    try:
        if callable(model) and not hasattr(model, "get_params") and not _is_module(model):
            model = model()
        return identify(model, encoder) if model is not None else None
    except Exception as exc:
        return {"unknown": f"{type(exc).__name__}: {exc}"[:200]}


def _is_module(value: Any) -> bool:
    # A model object that happens to be callable (a torch module, a transformers model or
    # pipeline) names the model; only a plain function is called to get one.
    return hasattr(value, "state_dict") or hasattr(value, "config") or hasattr(value, "task")


def _model_name(identity: Mapping[str, Any] | None) -> str | None:
    if not identity:
        return None
    from cerkit.integrations.local import model_name

    return model_name(identity)
