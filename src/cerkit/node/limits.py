"""Named limits on what the attestation node accepts and answers (docs/node.md).

Each bound keeps one untrusted client from pinning the node's memory or CPU; the value and
the reason for it sit together here so operators can find and reason about them.
"""

from __future__ import annotations

from typing import Final

from cerkit import jsonio

#: Largest request body, in bytes: one sealed record, the same bound as every JSON document
#: cerkit reads (:data:`cerkit.jsonio.MAX_DOCUMENT_BYTES`).
MAX_BODY_BYTES: Final[int] = jsonio.MAX_DOCUMENT_BYTES

#: Deepest JSON nesting accepted in a request body (:data:`cerkit.jsonio.MAX_DEPTH`).
MAX_JSON_DEPTH: Final[int] = jsonio.MAX_DEPTH

#: Bodies up to this size are checked on the event loop (tens of microseconds); larger ones
#: in a worker thread, so one big record does not stall every other request.
INLINE_PARSE_BYTES: Final[int] = 64 * 1024

#: Most entries one ``GET /v1/entries`` page returns. An entry is ~200 bytes of JSON, so a
#: page stays near 200 KB and an auditor pulls a million entries in 1,000 requests.
MAX_ENTRIES_PAGE: Final[int] = 1000

#: Largest log index or tree size a query names (``index``, ``treeSize``, ``from``, ``to``,
#: ``start``, ``end``): 2^53 - 1, the largest integer every JSON client reads exactly, and
#: far below 2^63 so ``start`` plus a page never overflows the database's 64-bit integers.
MAX_LOG_INDEX: Final[int] = (1 << 53) - 1

#: Most attestations appended in one transaction (group commit). Larger batches amortize the
#: fsync further but delay the first receipt in the batch; 256 keeps a batch under ~30 ms.
MAX_BATCH: Final[int] = 256

#: Most records one ``POST /v1/attest/batch`` request carries. A batch is appended in one
#: transaction and answered in one body, so this bounds both the time a batch holds the log
#: (1,000 receipts signed and proved: ~0.1 s) and its answer (~1.5 KB a record, ~1.5 MB).
#: At the usual 1-5 KB a record the request stays within :data:`MAX_BODY_BYTES`.
MAX_ATTEST_BATCH: Final[int] = 1000

#: How long the batcher waits for more requests after the first one, in seconds, when the
#: store is idle. Under load batches form by themselves while the previous commit runs.
BATCH_WINDOW_SECONDS: Final[float] = 0.001

#: How long a verified bearer token is trusted before the store is asked again, in seconds:
#: the longest a revoked token keeps working on a running node.
TOKEN_CACHE_SECONDS: Final[float] = 1.0

#: Longest accepted ``Authorization`` header value; real tokens are ~50 characters.
MAX_TOKEN_CHARS: Final[int] = 256

#: Longest a client may take to send one request body, in seconds, from the first byte the
#: handler asks for to the last. A full :data:`MAX_BODY_BYTES` body needs ~1 MiB/s; a client
#: dribbling bytes (slowloris) gets 408 and its connection closed instead of holding a slot.
BODY_TIMEOUT_SECONDS: Final[float] = 10.0

#: Bodies larger than this draw on the shared :data:`LARGE_BODY_BUDGET_BYTES`; smaller ones
#: (a typical record is 1-5 KB) never wait for it. Same value as :data:`INLINE_PARSE_BYTES`.
LARGE_BODY_BYTES: Final[int] = INLINE_PARSE_BYTES

#: Bytes of large request bodies all connections may hold at once (read, parsed, checked).
#: A half-sent 8 MiB body costs ~8 MiB of buffers until it completes or times out; 64 MiB lets
#: eight maximal bodies in at once and answers the next one 503 ``OVERLOADED`` right away
#: instead of letting 60 unfinished bodies take half a gigabyte.
LARGE_BODY_BUDGET_BYTES: Final[int] = 8 * MAX_BODY_BYTES

#: Media types accepted on the JSON endpoints (``POST /v1/attest``, ``/api/attest``,
#: ``/v1/verify``); anything else is 415 before the body is read. ``+json`` suffixes
#: (RFC 6839) are accepted too.
JSON_MEDIA_TYPE: Final[str] = "application/json"

#: How often a running node proves its stored log consistent with what it signed, in
#: seconds (docs/node.md, "What the node checks"). Each check reads every leaf (a million
#: take about two seconds), so once a minute costs a few percent of one core at that size
#: and bounds how long a rewritten row goes unnoticed by the node itself.
LOG_CHECK_SECONDS: Final[float] = 60.0

#: How often a running node looks at its key document for a rotation or a revocation, in
#: seconds: the longest it keeps signing with a key revoked in its key directory. A look is
#: one ``stat``; the document is re-read only when it changed.
KEY_RELOAD_SECONDS: Final[float] = 1.0
