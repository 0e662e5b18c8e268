"""Workflows: ``with cerkit.workflow("name") as wf:`` chains the records made inside it.

Every record sealed while a workflow is active (``@cerkit.record``, ``cerkit.recording``,
the OpenAI and Anthropic integrations, the LangChain handler) becomes one step: its snapshot
gets NexArt's workflow fields (``workflowId``, ``runId``, ``stepId``, ``stepIndex``,
``prevStepHash``, see :mod:`cerkit.project`), in the order the steps were sealed. When the
block ends, ``wf.bundle`` holds the ``cer.project.bundle.v1`` of the run (written to
``output`` when given). The active workflow follows the context (threads started inside the
block do not inherit it; asyncio tasks do).

>>> from cerkit.capture.recorder import recording
>>> with workflow("demo") as wf:
...     for x in (1, 2):
...         with recording("demo:step", inputs={"x": x}, store=False) as rec:
...             rec.output = x * 2
>>> first, second = wf.steps
>>> wf.bundle["totalSteps"], second["snapshot"]["prevStepHash"] == first["certificateHash"]
(2, True)
"""

from __future__ import annotations

import contextvars
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from cerkit.project import project_bundle, step_fields

_CURRENT: contextvars.ContextVar[Workflow | None] = contextvars.ContextVar(
    "cerkit_workflow", default=None
)


def current() -> Workflow | None:
    """The workflow active in this context, if any."""
    return _CURRENT.get()


class Workflow:
    """One run of a named workflow; its steps are sealed CERs in chain order.

    Attributes:
        name: the ``workflowId``.
        run_id: the ``runId`` (random unless given).
        steps: the sealed step CERs so far.
        bundle: the project bundle, set when the run ends (or by :meth:`close`).
    """

    def __init__(
        self,
        name: str,
        *,
        run_id: str | None = None,
        title: str | None = None,
        output: str | Path | None = None,
        framework: str = "cerkit",
    ) -> None:
        self.name = name
        self.run_id = run_id or str(uuid.uuid4())
        self.title = title or name
        self.output = output
        self.framework = framework
        self.steps: list[dict[str, Any]] = []
        self.bundle: dict[str, Any] | None = None
        self._ids: set[str] = set()
        self._lock = threading.Lock()
        self._token: contextvars.Token[Workflow | None] | None = None

    def add_step(
        self,
        args: dict[str, Any],
        seal: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        step_id: str | None = None,
        parents: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Seal ``args`` (``createSnapshot`` arguments) as the next step with ``seal``.

        ``step_id`` names the step (a random id otherwise; an id already used gets a
        suffix); ``parents`` are the step ids it joined, when more than one."""
        with self._lock:
            index = len(self.steps)
            prev = self.steps[-1]["certificateHash"] if self.steps else None
            chosen = step_id or str(uuid.uuid4())
            if chosen in self._ids:
                chosen = f"{chosen}#{index}"
            args.update(
                step_fields(self.name, self.run_id, index, prev, step_id=chosen, parents=parents)
            )
            bundle = seal(args)
            self.steps.append(bundle)
            self._ids.add(chosen)
        return bundle

    def close(self) -> dict[str, Any] | None:
        """Build (and write, when ``output`` was given) the project bundle of the steps so far."""
        calls = sys.modules.get("cerkit.integrations._calls")
        if calls is not None:  # LLM calls seal on a background thread: wait for them
            calls.flush(10.0)
        with self._lock:
            if not self.steps:
                return None
            self.bundle = project_bundle(self.steps, title=self.title, framework=self.framework)
        if self.output is not None:
            from cerkit.atomic import write_atomic
            from cerkit.jsonio import dumps

            write_atomic(self.output, dumps(self.bundle, pretty=True) + "\n")
        return self.bundle

    def __enter__(self) -> Workflow:
        self._token = _CURRENT.set(self)
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if self._token is not None:
            _CURRENT.reset(self._token)
            self._token = None
        self.close()
        return False  # a failed run keeps its exception, and its bundle


def workflow(
    name: str,
    *,
    run_id: str | None = None,
    title: str | None = None,
    output: str | Path | None = None,
) -> Workflow:
    """A workflow run to use as ``with cerkit.workflow("name") as wf:``.

    Args:
        name: the ``workflowId`` shared by every run of this workflow.
        run_id: the ``runId`` of this run (random by default).
        title: the bundle's ``projectTitle`` (``name`` by default).
        output: where to write the project bundle when the run ends.

    Each step goes to the record store its own recorder names.
    """
    return Workflow(name, run_id=run_id, title=title, output=output)


__all__ = ["Workflow", "current", "workflow"]
