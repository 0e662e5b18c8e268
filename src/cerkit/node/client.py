"""A small HTTP client for an attestation node (used by ``cerkit attest``, ``log audit`` and
``verify --node``). Network failures become :class:`~cerkit.errors.OperationalError`
(``NETWORK_ERROR``); a node's JSON error becomes a :class:`~cerkit.errors.CerkitError` with
the node's reason code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import orjson

from cerkit.attestation import attach_attestation, decode_hashes
from cerkit.errors import CerkitError, InvalidRecordError, OperationalError, Reason, RequestError
from cerkit.jsonio import loads
from cerkit.keys import KeyDocument
from cerkit.node.limits import MAX_ATTEST_BATCH, MAX_BODY_BYTES, MAX_ENTRIES_PAGE
from cerkit.node.submission import dump_json

if TYPE_CHECKING:
    import httpx

    from cerkit.verify.trust import TrustStore

#: Every JSON body the node accepts is declared so (it answers 415 otherwise).
_JSON_BODY: Final[dict[str, str]] = {"Content-Type": "application/json"}

#: Seconds to wait for a node; an attestation normally answers in milliseconds.
TIMEOUT_SECONDS: Final[float] = 30.0


class NodeClient:
    """Blocking client for one node, keeping its connection alive between calls."""

    def __init__(self, url: str, token: str | None = None) -> None:
        import httpx

        self.url = url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http: httpx.Client = httpx.Client(
            base_url=self.url, headers=headers, timeout=TIMEOUT_SECONDS
        )

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        import httpx

        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise OperationalError(
                f"node {self.url}: {type(exc).__name__}: {exc}", Reason.NETWORK_ERROR
            ) from None
        if response.status_code >= 400:
            raise _node_error(response)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return loads(self._request(method, path, **kwargs).content)

    def attest(self, bundle: Mapping[str, Any]) -> dict[str, Any]:
        """POST the bundle; return the node's answer (with ``attestation``)."""
        answer = self._json("POST", "/v1/attest", content=dump_json(bundle), headers=_JSON_BODY)
        if not isinstance(answer, dict) or not isinstance(answer.get("attestation"), dict):
            raise InvalidRecordError("node answer has no attestation", Reason.RECEIPT_MALFORMED)
        return answer

    def attest_batch(self, bundles: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Have the node attest every bundle; one answer per bundle, in order: the node's
        answer (as :meth:`attest`), or ``{"error": {"code", "message"}}`` for a record it
        refused. Sent as ``POST /v1/attest/batch`` requests of at most
        :data:`~cerkit.node.limits.MAX_ATTEST_BATCH` records and ``MAX_BODY_BYTES``; a
        record too large to share a request is sent alone to ``POST /v1/attest``.

        Raises:
            OperationalError: the node could not be reached or could not answer (503).
            CerkitError: the node refused a whole request (its reason code).
        """
        out: list[dict[str, Any]] = []
        for chunk in _chunks([dump_json(b) for b in bundles]):
            if len(chunk) == 1 and len(chunk[0]) + 2 > MAX_BODY_BYTES:
                out.append(self._attest_alone(chunk[0]))
                continue
            body = b"[" + b",".join(chunk) + b"]"
            answer = self._json("POST", "/v1/attest/batch", content=body, headers=_JSON_BODY)
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(chunk):
                raise InvalidRecordError(
                    "node answer to a batch is malformed", Reason.RECEIPT_MALFORMED
                )
            out.extend(r if isinstance(r, dict) else {} for r in results)
        return out

    def _attest_alone(self, body: bytes) -> dict[str, Any]:
        try:
            answer = self._json("POST", "/v1/attest", content=body, headers=_JSON_BODY)
        except (InvalidRecordError, RequestError) as exc:
            return {"error": {"code": str(exc.reason), "message": exc.message}}
        return answer if isinstance(answer, dict) else {}

    def key_document(self) -> KeyDocument:
        return KeyDocument.from_json(self._json("GET", "/.well-known/cerkit-node.json"))

    def checkpoint(self) -> str:
        return self._request("GET", "/v1/checkpoint").text

    def stored_bundle(self, certificate_hash: str) -> Any:
        """The bundle the node stored for a logged record (``GET /v1/records/{hash}``)."""
        from urllib.parse import quote

        answer = self._json("GET", f"/v1/records/{quote(certificate_hash, safe=':')}")
        return answer.get("bundle") if isinstance(answer, dict) else None

    def consistency(self, old_size: int, size: int) -> list[bytes]:
        answer = self._json("GET", "/v1/proof/consistency", params={"from": old_size, "to": size})
        return _hashes(answer, Reason.CONSISTENCY_PROOF_INVALID)

    def inclusion(self, index: int, size: int) -> list[bytes]:
        answer = self._json("GET", "/v1/proof/inclusion", params={"index": index, "treeSize": size})
        return _hashes(answer, Reason.INCLUSION_PROOF_INVALID)

    def entries(self, start: int, end: int) -> list[dict[str, Any]]:
        """Entries ``[start, end)``, fetched page by page."""
        out: list[dict[str, Any]] = []
        while start < end:
            stop = min(end, start + MAX_ENTRIES_PAGE)
            page = self._json("GET", "/v1/entries", params={"start": start, "end": stop})
            rows = page.get("entries") if isinstance(page, dict) else None
            if not isinstance(rows, list):
                raise InvalidRecordError("entries page is malformed", Reason.MALFORMED_JSON)
            out.extend(rows)
            if not rows or rows[-1].get("index", stop) < start:
                break
            start = stop
        return out


def _chunks(bodies: list[bytes]) -> list[list[bytes]]:
    """``bodies`` in runs that fit one batch request: at most ``MAX_ATTEST_BATCH`` records
    and ``MAX_BODY_BYTES`` of JSON array."""
    chunks: list[list[bytes]] = []
    size = 0
    for body in bodies:
        if (
            not chunks
            or len(chunks[-1]) >= MAX_ATTEST_BATCH
            or size + len(body) + 1 > MAX_BODY_BYTES
        ):
            chunks.append([])
            size = 1  # the opening bracket
        chunks[-1].append(body)
        size += len(body) + 1  # a comma or the closing bracket
    return chunks


def _hashes(answer: Any, reason: Reason) -> list[bytes]:
    """The proof hashes of a node's answer, each exactly 32 bytes."""
    values = answer.get("hashes") if isinstance(answer, dict) else None
    return decode_hashes(values, reason)


def _node_error(response: httpx.Response) -> CerkitError:
    """The node's ``{"error": {"code", "message"}}`` as one of our errors."""
    try:
        detail = orjson.loads(response.content)["error"]
        code, message = str(detail["code"]), str(detail["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        code, message = "", response.text[:200]
    text = f"node answered {response.status_code}: {message}"
    reason = Reason(code) if code in Reason.__members__ else None
    if response.status_code >= 500:
        return OperationalError(text, reason or Reason.NETWORK_ERROR)
    if response.status_code in (401, 403, 404, 413):
        return RequestError(text, reason)
    return InvalidRecordError(text, reason)


def trust_from_nodes(urls: Sequence[str]) -> TrustStore:
    """What ``cerkit verify --node URL`` trusts: each node's key document and current
    checkpoint, fetched once, plus a fetcher for the consistency proofs that tie a record's
    embedded checkpoint to that one (fetched once per pair of sizes, from the node whose
    log the record names).

    Trusting a document fetched over the network is trust on first use: prefer a saved key
    document (``--trust FILE``) where one is available.
    """
    from cerkit.verify.trust import TrustStore

    clients: dict[str, NodeClient] = {}
    documents, notes = [], []
    for url in urls:
        client = NodeClient(url)
        document = client.key_document()
        documents.append(document)
        notes.append(client.checkpoint())
        clients.setdefault(document.log_origin, client)
    proofs: dict[tuple[str, int, int], list[bytes]] = {}

    def fetch(old_size: int, size: int, origin: str) -> list[bytes]:
        client = clients.get(origin)
        if client is None:
            raise OperationalError(f"no node given for log {origin}", Reason.NETWORK_ERROR)
        if (origin, old_size, size) not in proofs:
            proofs[origin, old_size, size] = client.consistency(old_size, size)
        return proofs[origin, old_size, size]

    return TrustStore(
        node_documents=tuple(documents), checkpoints=tuple(notes), consistency_fetcher=fetch
    )


def attest_record(
    client: NodeClient,
    bundle: Mapping[str, Any],
    *,
    trust: TrustStore | None = None,
    source: str = "",
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Have the node attest ``bundle``; return the attested copy and the node's answer.

    The answer is checked before it is used: it must be for this record, and the attested
    copy must verify offline. Without ``trust`` the signatures cannot be checked, but the
    rest can (the receipt's shape and binding to this record, the inclusion proof's
    arithmetic up to the checkpoint's root); with ``trust`` it must reach ``logged``.

    Args:
        client: the node.
        bundle: a sealed record.
        trust: what the attestation must verify under (None: check what needs no key).
        source: where the record came from, for messages and the report.

    Raises:
        InvalidRecordError: the node answered for another record (``RECEIPT_MISMATCH``), or
            the attested copy fails a check (its reason code), or does not reach ``logged``
            under ``trust``.
    """
    answer = client.attest(bundle)
    return check_attestation(bundle, answer, trust=trust, source=source), answer


def check_attestation(
    bundle: Mapping[str, Any],
    answer: Mapping[str, Any],
    *,
    trust: TrustStore | None = None,
    source: str = "",
) -> dict[str, Any]:
    """The attested copy of ``bundle`` with the node's ``answer``, once it checks out (see
    :func:`attest_record`, which this is the second half of; also for batch answers).

    Raises:
        InvalidRecordError: as :func:`attest_record`.
    """
    from cerkit.verify import verify_bundle

    if answer.get("certificateHash") != bundle.get("certificateHash"):
        raise InvalidRecordError("the node answered for another record", Reason.RECEIPT_MISMATCH)
    if not isinstance(answer.get("attestation"), Mapping):
        raise InvalidRecordError("node answer has no attestation", Reason.RECEIPT_MALFORMED)
    attested = attach_attestation(bundle, answer["attestation"])
    report = verify_bundle(attested, source=source, trust=trust)
    if report.failures:
        first = report.failures[0]
        reason = Reason(first.reason) if first.reason in Reason.__members__ else None
        message = f"{source}: the node's answer fails {first.layer}/{first.name}: {first.message}"
        raise InvalidRecordError(message, reason)
    if trust is not None and report.assurance.label != "logged":
        raise InvalidRecordError(f"{source}: the attestation reached only {report.assurance.label}")
    return attested
