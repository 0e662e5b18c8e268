"""LangChain and LangGraph: one CER per LLM call, tool call and graph node, chained into a
project bundle per run (``cerkit[langchain]``, docs/integrations.md §10).

>>> handler = CerkitCallbackHandler("support-agent", output="project.json")  # doctest: +SKIP
>>> graph.invoke(state, config={"callbacks": [handler]})  # doctest: +SKIP
>>> handler.bundle["totalSteps"]  # doctest: +SKIP

The handler follows ``langchain-core``'s callbacks. A run begins with a top-level chain (a
LangGraph graph, a runnable sequence) and is one :class:`~cerkit.capture.workflow.Workflow`
(``workflowId`` the handler's name, ``runId`` LangChain's run id), or joins the
``cerkit.workflow`` active when it starts. Its steps, in the order they ended: each chat
model or LLM call (the fields of every provider call: requested and served model,
fingerprint, parameters, tool calls, usage), each tool call (arguments, result or error),
each graph node (its input and output state, ``langgraphStep``, the triggers; a node that
ran after several parallel nodes names them in ``parentStepIds``), and last the run itself.
A step's ``stepId`` is LangChain's run id. When the run ends, even by an exception,
``handler.bundle`` holds its ``cer.project.bundle.v1`` (written to ``output`` when given).
The run's thread only notes when each step ended: reading its values, sealing and storing
happen on cerkit's sealing thread, in step order (``handler.bundle`` waits for them).

A failure of cerkit never breaks the run (it warns); an exception of the run is recorded in
the steps it went through and propagates unchanged.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler

from cerkit.capture.builder import Hook, iso_time, seal_record
from cerkit.capture.fingerprint import fingerprint
from cerkit.capture.secrets import scrub
from cerkit.capture.trust_hooks import trust_hooks
from cerkit.capture.workflow import Workflow
from cerkit.capture.workflow import current as current_workflow
from cerkit.integrations._calls import _WORKER
from cerkit.integrations._langchain_map import (
    chat_request,
    chat_response,
    error_of,
    to_json,
)
from cerkit.integrations.base import Request, Timing, snapshot_args, tool_call

_NO_PARAMETERS: Final[dict[str, Any]] = {
    "temperature": 0,
    "maxTokens": 0,
    "topP": None,
    "seed": None,
}
_PLUMBING: Final[frozenset[str]] = frozenset(("__start__", "__end__"))


@dataclass(slots=True)
class _Run:
    """A LangChain run in progress."""

    kind: str  # "llm", "tool", "node", "graph" or "" (not recorded)
    name: str
    root: UUID
    inputs: Any = None
    request: Request | None = None
    started: float = 0.0
    clock: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class _Root:
    workflow: Workflow
    owned: bool
    supersteps: dict[int, list[str]] = field(default_factory=dict)


class CerkitCallbackHandler(BaseCallbackHandler):
    """Records a LangChain or LangGraph run as chained CERs and a project bundle.

    Args:
        workflow_id: the ``workflowId`` of every run this handler sees.
        output: where to write each run's project bundle when it ends.
        store: as for ``cerkit.record``: a store URL or path, ``None`` for the default
            store, ``False`` to keep records in memory only.
        hooks: post-seal hooks run on every step record.
        sign, attest: as for ``cerkit.record``.
    """

    raise_error = False
    run_inline = True

    def __init__(
        self,
        workflow_id: str = "langchain",
        *,
        output: str | Path | None = None,
        store: Any = None,
        hooks: Sequence[Hook] = (),
        sign: Any = None,
        attest: Any = None,
    ) -> None:
        self.workflow_id = workflow_id
        self.output = output
        self.store = store
        self.hooks: tuple[Hook, ...] = (*trust_hooks(sign, attest), *hooks)
        self._bundles: list[dict[str, Any]] = []
        self._runs: dict[UUID, _Run] = {}
        self._roots: dict[UUID, _Root] = {}
        self._lock = threading.Lock()

    # --- where a run belongs ------------------------------------------------------------

    def _start(self, run_id: UUID, parent: UUID | None, kind: str, name: str, inputs: Any) -> _Run:
        with self._lock:
            above = self._runs.get(parent) if parent is not None else None
            if above is None:
                ambient = current_workflow()
                if ambient is not None:
                    self._roots[run_id] = _Root(ambient, owned=False)
                else:
                    flow = Workflow(self.workflow_id, run_id=str(run_id), framework="langchain")
                    self._roots[run_id] = _Root(flow, owned=True)
            run = _Run(kind, name, above.root if above is not None else run_id, inputs)
            run.started, run.clock = time.time(), time.perf_counter()
            self._runs[run_id] = run
        return run

    def _end(self, run_id: UUID, output: Any, error: BaseException | None) -> None:
        ended, clock = time.time(), time.perf_counter()
        with self._lock:
            run = self._runs.pop(run_id, None)
            root = self._roots.get(run.root) if run is not None else None
        if run is None or root is None:
            return
        parents = self._parents(root, run) if run.kind else []
        finished = run.root == run_id

        def job() -> None:  # on the sealing thread, in the order the steps ended
            try:
                if run.kind:
                    self._seal(run_id, run, root, parents, output, error, (ended, clock))
            except Exception as exc:  # cerkit must not break the run
                warnings.warn(f"cerkit could not record this step: {exc}", RuntimeWarning, 2)
            if finished:
                self._finish(run_id, root)

        _WORKER.submit(job)

    def _finish(self, root_id: UUID, root: _Root) -> None:
        with self._lock:
            self._roots.pop(root_id, None)
        if not root.owned:
            return
        try:
            bundle = root.workflow.close()
            if bundle is not None and self.output is not None:
                from cerkit.atomic import write_atomic
                from cerkit.jsonio import dumps

                write_atomic(self.output, dumps(bundle, pretty=True) + "\n")
        except Exception as exc:
            warnings.warn(f"cerkit could not write the project bundle: {exc}", RuntimeWarning, 2)
            return
        if bundle is not None:
            self._bundles.append(bundle)

    @property
    def bundles(self) -> list[dict[str, Any]]:
        """The project bundles of the runs that ended (waits for steps still being sealed)."""
        _WORKER.flush(30.0)
        return self._bundles

    @property
    def bundle(self) -> dict[str, Any] | None:
        """The project bundle of the latest run that ended, or ``None``."""
        bundles = self.bundles
        return bundles[-1] if bundles else None

    # --- sealing a step -----------------------------------------------------------------

    def _seal(
        self,
        run_id: UUID,
        run: _Run,
        root: _Root,
        parents: list[str],
        output: Any,
        error: BaseException | None,
        when: tuple[float, float],
    ) -> None:
        ended, clock = when
        timing = Timing(
            started=iso_time(run.started),
            ended=iso_time(ended),
            duration_ms=round((clock - run.clock) * 1000, 3),
        )
        state: dict[str, Any] = {"status": "ok", "error": None}
        if error is not None:
            state = {"status": "error", "error": error_of(error)}
        if run.kind == "llm" and run.request is not None:
            response = chat_response(output) if error is None else None
            provider = str(run.request.identity.get("provider", "langchain"))
            args = snapshot_args(provider, run.request, response, timing, state)
            args["execution"].update(run.extra)
        else:
            args = self._step_args(run, output, timing, state)
        args = scrub(args)
        args["executionId"] = os.urandom(16).hex()
        args["timestamp"] = timing.started
        args["environment"] = fingerprint()
        hooks, store = self.hooks, self.store
        root.workflow.add_step(
            args,
            lambda step: seal_record(step, timing.ended, hooks, store, workflow=None),
            step_id=str(run_id),
            parents=parents,
        )

    def _parents(self, root: _Root, run: _Run) -> list[str]:
        step = run.extra.get("langgraphStep")
        if run.kind != "node" or type(step) is not int:
            return []
        with self._lock:
            parents = list(root.supersteps.get(step - 1, ()))
            root.supersteps.setdefault(step, []).append(str(run.extra["stepRunId"]))
        return parents

    def _step_args(
        self, run: _Run, output: Any, timing: Timing, state: dict[str, Any]
    ) -> dict[str, Any]:
        encoded_output: Any = {"error": state["error"]} if state["error"] else to_json(output)
        encoded_input = to_json(run.inputs)
        execution = {
            "kind": run.kind,
            "name": run.name,
            "startedAt": timing.started,
            "endedAt": timing.ended,
            "durationMs": timing.duration_ms,
            **state,
            **{k: v for k, v in run.extra.items() if k != "stepRunId"},
        }
        calls = []
        if run.kind == "tool":
            call = tool_call(run.name, encoded_input, None)
            call["resultHash"] = None if state["error"] else _hash(encoded_output)
            call["status"] = state["status"]
            calls.append(call)
        return {
            "provider": "langgraph" if run.kind in ("node", "graph") else "langchain",
            "model": run.name,
            "prompt": f"{run.kind}:{run.name}",
            "input": encoded_input if encoded_input is not None else {},
            "output": encoded_output if encoded_output is not None else {"$type": "none"},
            "parameters": dict(_NO_PARAMETERS),
            "execution": execution,
            "toolCalls": calls,
        }

    # --- langchain-core callbacks ---------------------------------------------------------

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = str(kwargs.get("name") or (serialized or {}).get("name") or "chain")
        meta = metadata or {}
        node = meta.get("langgraph_node")
        if parent_run_id is None or parent_run_id not in self._runs:
            kind = "graph"
        elif node == name and name not in _PLUMBING:
            kind = "node"
        else:
            kind = ""
        run = self._start(run_id, parent_run_id, kind, name, inputs)
        if kind == "node":
            run.extra.update(
                langgraphStep=meta.get("langgraph_step"),
                triggers=to_json(list(meta.get("langgraph_triggers") or ())),
                stepRunId=str(run_id),
            )

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, outputs, None)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, None, error)

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[Any]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        invocation = kwargs.get("invocation_params") or {}
        run = self._start(run_id, parent_run_id, "llm", "chat_model", None)
        run.request = chat_request(
            serialized, messages[0] if messages else [], invocation, metadata or {}
        )
        if metadata and metadata.get("langgraph_node"):
            run.extra["node"] = metadata["langgraph_node"]

    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        from langchain_core.messages import HumanMessage

        messages = [HumanMessage(content=p) for p in prompts]
        invocation = kwargs.get("invocation_params") or {}
        run = self._start(run_id, parent_run_id, "llm", "llm", None)
        run.request = chat_request(serialized, messages, invocation, metadata or {})
        run.request.api = "langchain.llm"

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, response, None)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, None, error)

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        name = str(kwargs.get("name") or (serialized or {}).get("name") or "tool")
        self._start(
            run_id, parent_run_id, "tool", name, inputs if inputs is not None else input_str
        )

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, output, None)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, None, error)


def _hash(value: Any) -> str:
    from cerkit.digest import hash_payload

    return hash_payload(value)


__all__ = ["CerkitCallbackHandler"]
