"""Putting recorders in front of SDK methods, and taking them away again.

Two ways, both reversible through the :class:`Instrumentation` handle that ``instrument``
returns: on one client object (its resource objects get instance attributes that shadow the
class's methods) or on the SDK's resource classes (every client in the process).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from cerkit.integrations._calls import Recorder, flush

_MISSING: Any = object()


class Instrumentation:
    """What ``instrument`` did: the recorder it installed and how to undo it.

    Attributes:
        recorder: the :class:`~cerkit.integrations._calls.Recorder` of these calls.
    """

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self._undo: list[Callable[[], None]] = []

    @property
    def last_record(self) -> dict[str, Any] | None:
        """The latest sealed record (after :meth:`flush` when sealing in the background)."""
        return self.recorder.last_record

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every call recorded so far is sealed and queued for its store."""
        return flush(timeout)

    def uninstrument(self) -> None:
        """Put every patched method back."""
        while self._undo:
            self._undo.pop()()

    def patch_object(self, owner: Any, name: str, api: str, client: Any) -> None:
        """Shadow ``owner.name`` (a bound SDK method) with a recording one."""
        original = getattr(owner, name)
        previous = owner.__dict__.get(name, _MISSING)
        recorder = self.recorder
        if is_async(original):

            @functools.wraps(original)
            async def arecorded(*args: Any, **kwargs: Any) -> Any:
                return await recorder.acall(api, original, args, kwargs, client)

            setattr(owner, name, arecorded)
        else:

            @functools.wraps(original)
            def recorded(*args: Any, **kwargs: Any) -> Any:
                return recorder.call(api, original, args, kwargs, client)

            setattr(owner, name, recorded)
        self._undo.append(lambda: _restore(owner, name, previous))

    def patch_class(self, owner: type, name: str, api: str) -> None:
        """Replace ``owner.name`` (an SDK resource method) for every client."""
        original = owner.__dict__[name]
        recorder = self.recorder
        if is_async(original):

            @functools.wraps(original)
            async def arecorded(resource: Any, *args: Any, **kwargs: Any) -> Any:
                method = original.__get__(resource)
                client = getattr(resource, "_client", None)
                return await recorder.acall(api, method, args, kwargs, client)

            setattr(owner, name, arecorded)
        else:

            @functools.wraps(original)
            def recorded(resource: Any, *args: Any, **kwargs: Any) -> Any:
                method = original.__get__(resource)
                client = getattr(resource, "_client", None)
                return recorder.call(api, method, args, kwargs, client)

            setattr(owner, name, recorded)
        self._undo.append(lambda: setattr(owner, name, original))

    def on_undo(self, undo: Callable[[], None]) -> None:
        """Run ``undo`` when uninstrumented (after what was patched later)."""
        self._undo.append(undo)

    def replace(self, owner: Any, name: str, replacement: Any) -> None:
        """Set ``owner.name`` (an object's or a class's attribute) until uninstrumented."""
        previous = vars(owner).get(name, _MISSING)
        setattr(owner, name, replacement)
        self._undo.append(functools.partial(_restore, owner, name, previous))

    def on_copies(self, client: Any, instrument: Callable[[Any], None]) -> None:
        """Instrument the clients ``client.copy()`` / ``client.with_options()`` return."""
        for name in ("copy", "with_options"):
            original = getattr(client, name, None)
            if original is None:
                continue
            previous = client.__dict__.get(name, _MISSING)

            def copied(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                new = _original(*args, **kwargs)
                instrument(new)
                return new

            setattr(client, name, copied)
            self._undo.append(functools.partial(_restore, client, name, previous))


def is_async(method: Any) -> bool:
    # The SDKs wrap their async methods in sync argument checkers (``required_args``):
    # what the wrapper returns is still a coroutine.
    return inspect.iscoroutinefunction(method) or inspect.iscoroutinefunction(
        inspect.unwrap(method)
    )


def _restore(owner: Any, name: str, previous: Any) -> None:
    if previous is _MISSING:
        delattr(owner, name)
    else:
        setattr(owner, name, previous)


__all__ = ["Instrumentation"]
