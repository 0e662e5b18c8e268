"""The demo's LLM part: the official ``openai`` client, instrumented, against a local stand-in.

No model and no network: :class:`~cerkit.integrations.standin.StandIn` is a local
OpenAI-compatible server that serves the alias ``gpt-4o`` by a dated snapshot, as providers
do. The part records three identical requests through the real ``openai`` client; before the
third, the stand-in re-points the alias to a newer snapshot (and its answer changes). Every
record is verified, and the drift between the second and the third is explained: the served
model changed although the request did not.
"""

from __future__ import annotations

from typing import Any, Final

from cerkit.demo.base import Demo

ALIAS: Final[str] = "gpt-4o"
SNAPSHOTS: Final[tuple[str, str]] = ("gpt-4o-2024-08-06", "gpt-4o-2024-11-20")
QUESTION: Final[list[dict[str, str]]] = [
    {"role": "system", "content": "Answer in one sentence."},
    {"role": "user", "content": "Which city is the capital of France?"},
]


def _call(client: Any, handle: Any) -> dict[str, Any]:
    client.chat.completions.create(model=ALIAS, messages=QUESTION, temperature=0)
    handle.flush()
    record: dict[str, Any] = handle.last_record
    return record


def run(demo: Demo) -> bool:
    """The part: three recorded calls, an alias re-pointed, the drift explained."""
    import openai

    from cerkit.drift.attribution import Verdict, explain
    from cerkit.integrations import openai as cerkit_openai
    from cerkit.integrations.standin import StandIn
    from cerkit.verify import verify_bundle

    answers = {
        SNAPSHOTS[0]: "The capital of France is Paris.",
        SNAPSHOTS[1]: "Paris is the capital of France.",
    }
    with StandIn(aliases={ALIAS: SNAPSHOTS[0]}) as server:
        demo.report(
            f"LLM calls: the official openai client talks to a LOCAL STAND-IN at {server.url}"
        )
        demo.report("(an OpenAI-compatible server started by the demo: no model, no network).")
        client = openai.OpenAI(base_url=server.openai_url, api_key="sk-demo-not-a-key")
        handle = cerkit_openai.instrument(client, store=demo.store)
        bundles = []
        for number in (1, 2, 3):
            if number == 3:
                server.repoint(ALIAS, SNAPSHOTS[1])
                demo.report(f"  the stand-in re-points {ALIAS!r} to {SNAPSHOTS[1]}")
            server.settings.answer = answers[server.settings.served(ALIAS)]
            bundle = _call(client, handle)
            verdict = verify_bundle(bundle).verdict
            snapshot = bundle["snapshot"]
            demo.report(
                f"  {number}. {ALIAS} served by {snapshot['modelVersion']:<18} "
                f"{bundle['certificateHash'][:19]}  {verdict}"
            )
            bundles.append((bundle, verdict))
        handle.uninstrument()
    same = explain(bundles[0][0], bundles[1][0])
    drift = explain(bundles[1][0], bundles[2][0])
    demo.report(f"  1 vs 2: {same.verdict}: {same.summary}")
    demo.report(f"  2 vs 3: {drift.verdict}: {drift.summary}")
    demo.records.extend(bundle for bundle, _ in bundles)
    verified = all(verdict == "VERIFIED" for _, verdict in bundles)
    return verified and drift.verdict is Verdict.DRIFT_EXPLAINED


__all__ = ["run"]
