"""A LangChain chat model over the official ``openai`` client (no ``langchain-openai`` in the
environment), and the graphs the LangChain/LangGraph tests and bench/workflow.py run."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "tool"}


class OpenAIChat(BaseChatModel):
    """Chat completions through the official client; the answer's served model, system
    fingerprint and id go to ``response_metadata`` as LangChain's own OpenAI model does."""

    client: Any
    model: str = "gpt-4o"
    temperature: float = 0.2
    seed: int | None = 7

    @property
    def _llm_type(self) -> str:
        return "openai-chat"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model, "temperature": self.temperature, "seed": self.seed}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "openai"
        params["ls_model_name"] = self.model
        return params

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        reply = self.client.chat.completions.create(
            model=self.model,
            messages=[{"role": _ROLES[m.type], "content": m.content} for m in messages],
            temperature=self.temperature,
            seed=self.seed,
        )
        choice = reply.choices[0]
        meta = {
            "model_name": reply.model,
            "system_fingerprint": reply.system_fingerprint,
            "id": reply.id,
            "finish_reason": choice.finish_reason,
        }
        usage = reply.usage
        message = AIMessage(
            content=choice.message.content or "",
            response_metadata=meta,
            usage_metadata={
                "input_tokens": usage.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            }
            if usage is not None
            else None,
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


class State(TypedDict):
    question: str
    plan: str
    facts: Annotated[list[str], operator.add]
    answer: str


@tool
def lookup(topic: str) -> str:
    """Look a topic up in the local notes."""
    if topic == "forbidden":
        raise ValueError("the notes on this topic are sealed")
    return f"notes on {topic}: tides follow the moon"


@tool
def almanac(topic: str) -> str:
    """Look a topic up in the almanac."""
    return f"almanac on {topic}: two high tides a day"


def linear_graph(model: BaseChatModel) -> Any:
    """plan (LLM) -> research (tool) -> answer (LLM)."""

    def plan(state: State) -> dict[str, Any]:
        reply = model.invoke(
            [SystemMessage(content="Plan briefly."), HumanMessage(content=state["question"])]
        )
        return {"plan": str(reply.content)}

    def research(state: State) -> dict[str, Any]:
        return {"facts": [lookup.invoke({"topic": state["question"]})]}

    def answer(state: State) -> dict[str, Any]:
        facts = "; ".join(state["facts"])
        reply = model.invoke([HumanMessage(content=f"{state['plan']} Using: {facts}")])
        return {"answer": str(reply.content)}

    graph = StateGraph(State)
    graph.add_node("plan", plan)
    graph.add_node("research", research)
    graph.add_node("answer", answer)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "research")
    graph.add_edge("research", "answer")
    graph.add_edge("answer", END)
    return graph.compile()


def branching_graph(model: BaseChatModel) -> Any:
    """plan (LLM) -> {notes, almanac} in parallel (tools) -> answer (LLM, joins both)."""

    def plan(state: State) -> dict[str, Any]:
        reply = model.invoke([HumanMessage(content=state["question"])])
        return {"plan": str(reply.content)}

    def notes(state: State) -> dict[str, Any]:
        return {"facts": [lookup.invoke({"topic": state["question"]})]}

    def in_almanac(state: State) -> dict[str, Any]:
        return {"facts": [almanac.invoke({"topic": state["question"]})]}

    def answer(state: State) -> dict[str, Any]:
        reply = model.invoke([HumanMessage(content="; ".join(sorted(state["facts"])))])
        return {"answer": str(reply.content)}

    graph = StateGraph(State)
    for name, node in (("plan", plan), ("notes", notes), ("almanac", in_almanac)):
        graph.add_node(name, node)
    graph.add_node("answer", answer)
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "notes")
    graph.add_edge("plan", "almanac")
    graph.add_edge(["notes", "almanac"], "answer")
    graph.add_edge("answer", END)
    return graph.compile()
