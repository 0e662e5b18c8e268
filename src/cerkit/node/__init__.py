"""The attestation node: countersigns sealed records and logs them (docs/node.md).

* :mod:`cerkit.node.service`: the logic without HTTP (validate, append, sign, prove).
* :mod:`cerkit.node.batcher`: group commit of concurrent attestations;
  :mod:`cerkit.node.batch`: ``POST /v1/attest/batch``, many records each answered alone.
* :mod:`cerkit.node.app`: the Starlette app; :mod:`cerkit.node.server` runs it under uvicorn.
* :mod:`cerkit.node.tokens`: bearer tokens, stored hashed; :mod:`cerkit.node.limits`: the
  named limits on requests; :mod:`cerkit.node.metrics`: Prometheus metrics.
* :mod:`cerkit.node.config`: opening the log store and the node identity.
* :mod:`cerkit.node.client`: an HTTP client (``cerkit attest``, ``verify --node``);
  :mod:`cerkit.node.audit`: ``cerkit log audit``.
* :mod:`cerkit.node.embedded`: the same node in-process (``cerkit demo``).

The log stores are :mod:`cerkit.ledger.sqlite_log` and :mod:`cerkit.ledger.postgres_log`.
"""
