"""Recording Python executions: ``@cerkit.record`` and ``with cerkit.recording(...)``.

Each recorded call becomes one sealed CER (docs/capture.md lists every field): inputs and
output encoded by :mod:`cerkit.capture.encode`, parameters as passed and as applied
(``effectiveParameters``: the callee's defaults resolved), ``execution`` (entry point,
source digest, timing, status, error, seeds set), ``modelIdentity`` when a model is named,
and the runtime fingerprint. The record is sealed with :func:`cerkit.seal.seal`, passed
through the post-seal hooks (signing and attestation plug in there) and written to the
record store. An exception in the recorded code is recorded and re-raised unchanged; a
failure of cerkit itself never breaks the recorded call (it warns instead).

>>> @record(store=False)
... def add(a, b=2):
...     return a + b
>>> add(1)
3
>>> add.last_record["snapshot"]["effectiveParameters"]
{'a': 1, 'b': 2}
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, overload

from cerkit.capture import _seeds
from cerkit.capture._imports import machinery
from cerkit.capture.builder import Capture, Hook, code_identity
from cerkit.capture.encode import EncodeOptions, encode
from cerkit.capture.trust_hooks import trust_hooks

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Defaults:
    """Process-wide recorder settings; change them with :func:`configure`."""

    store: Any = (
        None  # None: cerkit.ledger.shared_record_store(None); False: keep records in memory
    )
    content: bool | None = None
    hooks: list[Hook] = field(default_factory=list)


DEFAULTS = Defaults()


_UNSET: Any = object()


def configure(
    *, store: Any = _UNSET, content: bool | None = _UNSET, hooks: Sequence[Hook] | None = None
) -> None:
    """Set the defaults every recorder uses unless it is given its own; arguments not
    given keep their current value.

    Args:
        store: a store URL or path, a ``RecordStore``, ``None`` for the default store
            (``CERKIT_STORE`` or ``.cerkit/ledger.db``), or ``False`` for no store.
        content: array/frame/bytes content policy (see ``EncodeOptions``).
        hooks: post-seal hooks run on every record, in order.
    """
    if store is not _UNSET:
        DEFAULTS.store = store
    if content is not _UNSET:
        DEFAULTS.content = content
    if hooks is not None:
        DEFAULTS.hooks = list(hooks)


class _Signature:
    """What the recorder needs from a callee, computed once per function."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.entry_point, self.code_digest, self.code_source = code_identity(fn)
        self.module: str | None = getattr(fn, "__module__", None)
        try:
            self.signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None

    def bind(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``(passed, effective)``: the arguments bound to parameter names as passed, in
        any calling style, and every parameter with the value the callee sees (defaults
        applied). ``**kwargs`` entries are named by their keys; ``*args`` by the
        parameter's name; ``self``/``cls`` are left out."""
        unbound = {f"arg{i}": value for i, value in enumerate(args)} | kwargs
        if self.signature is None:
            return unbound, dict(unbound)
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError:  # the call itself will fail; record what was passed
            return unbound, dict(unbound)
        passed = self._named(bound.arguments)
        bound.apply_defaults()
        return passed, self._named(bound.arguments)

    def _named(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        assert self.signature is not None
        parameters = self.signature.parameters
        first = next(iter(parameters), None)
        named: dict[str, Any] = {}
        for name, value in arguments.items():
            if name == first and name in ("self", "cls"):
                continue
            if parameters[name].kind is inspect.Parameter.VAR_KEYWORD:
                named.update(value)
            else:
                named[name] = value
        return named


@overload
def record(fn: F, /) -> F: ...
@overload
def record(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    provider: str = "python",
    model: Any = None,
    store: Any = None,
    content: bool | Literal["hash"] | None = None,
    hooks: Sequence[Hook] = (),
    sign: Any = None,
    attest: Any = None,
    privacy: Any = None,
) -> Callable[[F], F]: ...
def record(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    provider: str = "python",
    model: Any = None,
    store: Any = None,
    content: bool | Literal["hash"] | None = None,
    hooks: Sequence[Hook] = (),
    sign: Any = None,
    attest: Any = None,
    privacy: Any = None,
) -> Any:
    """Record every call of a function as a sealed CER.

    Args:
        fn: the function (when used as ``@record`` without arguments).
        name: entry point to record instead of the function's ``module:qualname``.
        provider: the record's ``provider`` (``"python"``; integrations name theirs).
        model: what names the model: an estimator, a torch module, a weights path, a model
            name, or a zero-argument callable returning one of those at call time.
        store: as in :func:`configure`; ``None`` uses the configured default.
        content: as in :func:`configure`; ``None`` uses the configured default.
        hooks: extra post-seal hooks for this function, run after the configured ones.
        sign: an Ed25519 private key or key file: add ``meta.producer`` to each record.
        attest: a ``NodeClient``, an ``EmbeddedNode`` or a node URL (token from
            ``CERKIT_NODE_TOKEN``): add the node's ``meta.attestation`` to each record.
        privacy: a :class:`cerkit.disclosure.privacy.Privacy` (hash-only content, a mask,
            disclosable sealing); ``content="hash"`` is short for ``Privacy(content="hash")``.
            With neither, the project's ``[tool.cerkit.disclosure]`` policy applies
            (``Privacy()`` opts out); a policy that does not load raises ``ConfigError``.

    The wrapper keeps the function's signature and exposes ``last_record`` (the bundle of
    the latest call in this process) and ``__wrapped__``.
    """

    def decorate(func: F) -> F:
        extra = (*hooks, *trust_hooks(sign, attest))
        mode, chosen = _privacy(content, privacy)
        return _wrap(func, _Options(name, provider, model, store, mode, extra, chosen))

    return decorate(fn) if fn is not None else decorate


@dataclass(frozen=True)
class _Options:
    name: str | None
    provider: str
    model: Any
    store: Any
    content: bool | None
    hooks: tuple[Hook, ...]
    privacy: Any = None

    def capture(self, sig: _Signature) -> Capture:
        return Capture(
            module=sig.module,
            kind="python",
            entry_point=self.name or sig.entry_point,
            code_digest=sig.code_digest,
            code_source=sig.code_source,
            provider=self.provider,
            model=self.model,
            store=DEFAULTS.store if self.store is None else self.store,
            options=EncodeOptions(
                content=DEFAULTS.content if self.content is None else self.content
            ),
            hooks=(*DEFAULTS.hooks, *self.hooks),
            seed_mark=_seeds.mark(),
            privacy=self.privacy,
        )


def _privacy(content: Any, privacy: Any) -> tuple[bool | None, Any]:
    """``(encode content policy, Privacy or None)``: ``content="hash"`` names a privacy mode;
    with neither, the project's disclosure policy applies (docs/config.md)."""
    if content == "hash":
        from cerkit.disclosure.privacy import Privacy

        return None, privacy or Privacy(content="hash")
    if privacy is None:
        from cerkit.disclosure.policy import recorder_privacy

        privacy = recorder_privacy()
    return content, privacy


def _wrap(func: F, options: _Options) -> F:
    sig = _Signature(func)

    def start(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Capture | None:
        try:
            with machinery():
                capture = options.capture(sig)
                capture.call(args, kwargs, sig.bind)
            return capture
        except Exception as exc:  # cerkit must not break the recorded call
            _warn(exc)
            return None

    def finish(capture: Capture | None, output: Any, error: BaseException | None) -> None:
        if capture is None:
            return
        try:
            with machinery():
                wrapper.last_record = capture.finish(output, error)  # type: ignore[attr-defined]
        except Exception as exc:
            _warn(exc)

    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            capture = start(args, kwargs)
            try:
                result = await func(*args, **kwargs)
            except BaseException as exc:
                finish(capture, None, exc)
                raise
            finish(capture, result, None)
            return result

    else:

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            capture = start(args, kwargs)
            try:
                result = func(*args, **kwargs)
            except BaseException as exc:
                finish(capture, None, exc)
                raise
            finish(capture, result, None)
            return result

    wrapper.last_record = None  # type: ignore[attr-defined]
    wrapper.__cerkit_entry_point__ = options.name or sig.entry_point  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def _warn(exc: Exception) -> None:
    warnings.warn(f"cerkit could not record this call: {exc}", RuntimeWarning, stacklevel=3)


class Recording:
    """A recorded block; returned by :func:`recording`. Set ``output`` before the block
    ends; after it, ``bundle`` holds the sealed record."""

    def __init__(self, capture: Capture, inputs: Any, parameters: Mapping[str, Any] | None) -> None:
        self._capture = capture
        self._inputs = inputs
        self._parameters = dict(parameters or {})
        self.output: Any = None
        self.bundle: dict[str, Any] | None = None

    def tool_call(self, name: str, arguments: Any, result: Any, **fields: Any) -> None:
        """Add one ``toolCalls`` entry (arguments and result are hashed, not stored)."""
        self._capture.add_tool_call(name, arguments, result, **fields)

    def __enter__(self) -> Recording:
        with machinery():
            self._capture.block(self._inputs, self._parameters)
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        try:
            with machinery():
                self.bundle = self._capture.finish(self.output, exc)
        except Exception as error:
            _warn(error)
        return False  # never swallow the block's exception


def recording(
    name: str | None = None,
    *,
    inputs: Any = None,
    parameters: Mapping[str, Any] | None = None,
    provider: str = "python",
    model: Any = None,
    store: Any = None,
    content: bool | Literal["hash"] | None = None,
    hooks: Sequence[Hook] = (),
    sign: Any = None,
    attest: Any = None,
    privacy: Any = None,
) -> Recording:
    """Record a block of code as one CER.

    >>> with recording("demo:block", inputs={"x": 2}, store=False) as rec:
    ...     rec.output = 2 * 2
    >>> rec.bundle["snapshot"]["output"]
    4

    Args:
        name: the entry point; defaults to the calling function's ``module:qualname``.
        inputs: what the block reads (recorded as ``input``).
        parameters: parameters as passed (``effectiveParameters`` too, plus the model's
            ``get_params()`` under ``model`` when a model is given).
        provider, model, store, content, hooks, sign, attest, privacy: as for :func:`record`.
    """
    frame = inspect.currentframe()
    caller = frame.f_back if frame is not None else None
    entry, digest, source = code_identity(caller.f_code if caller else None, frame=caller)
    content, chosen = _privacy(content, privacy)
    capture = Capture(
        module=caller.f_globals.get("__name__") if caller else None,
        kind="python",
        entry_point=name or entry,
        code_digest=digest,
        code_source=source,
        provider=provider,
        model=model,
        store=DEFAULTS.store if store is None else store,
        options=EncodeOptions(content=DEFAULTS.content if content is None else content),
        hooks=(*DEFAULTS.hooks, *hooks, *trust_hooks(sign, attest)),
        seed_mark=_seeds.mark(),
        privacy=chosen,
    )
    return Recording(capture, inputs, parameters)


__all__ = ["DEFAULTS", "Recording", "configure", "encode", "record", "recording"]
