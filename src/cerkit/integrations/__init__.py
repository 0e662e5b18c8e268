"""Integrations: what frameworks and providers ran, from their own objects (docs/integrations.md).

One plug-in family, one interface (:mod:`cerkit.integrations.base`), one module per framework,
each behind its own optional extra:

* :mod:`cerkit.integrations.openai`: ``instrument(client)`` records every chat completion
  and response of the official ``openai`` client (``cerkit[openai]``).
* :mod:`cerkit.integrations.anthropic`: the same for ``anthropic`` messages
  (``cerkit[anthropic]``).
* :mod:`cerkit.integrations.transformers`: Hugging Face pipelines, models and ``generate``
  (``cerkit[transformers]``).
* :mod:`cerkit.integrations.standin`: a local OpenAI/Anthropic-compatible server for tests
  and the demo.

Model families (values and identities of local models, used by ``cerkit.capture.encode``):
:mod:`~cerkit.integrations.numpy`, ``pandas``, ``torch``, ``sklearn``, ``pydantic``,
``transformers``, dispatched by :mod:`cerkit.integrations.local`; weight-file manifests in
:mod:`cerkit.integrations.files`.

Internal: ``_calls`` (timing, sealing off the caller's thread), ``_streams`` (stream
wrappers), ``_patch`` (installing and removing recorders), ``_sdk``, ``_openai_map`` and
``_anthropic_map`` (reading SDK objects), ``_standin_replies``.
"""

from __future__ import annotations


def flush(timeout: float | None = 30.0) -> bool:
    """Wait until every call recorded by an integration is sealed and queued for its store.

    Returns:
        ``False`` when ``timeout`` seconds passed first.
    """
    from cerkit.integrations._calls import flush as flush_calls

    return flush_calls(timeout)
