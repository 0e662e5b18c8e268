"""The OpenAPI 3.1 document of the node's HTTP API (``GET /openapi.json``).

Written by hand, next to the handlers in :mod:`cerkit.node.app`, and checked against the
app's route table by tests/node/test_node_openapi.py (every route is documented and every
documented path is served). Every error answer is the one JSON shape of
:func:`cerkit.node.app.error_response`: ``{"error": {"code": REASON, "message": ...}}``.
The component schemas are in :mod:`cerkit.node._openapi_schemas`.
"""

from __future__ import annotations

from typing import Any, Final

from cerkit import __version__
from cerkit.node._openapi_schemas import RECORDS, SCHEMAS, ref
from cerkit.node.limits import MAX_ATTEST_BATCH, MAX_BODY_BYTES, MAX_ENTRIES_PAGE, MAX_LOG_INDEX

_JSON: Final[str] = "application/json"
_TEXT: Final[str] = "text/plain"

#: Why each error status is answered, shared by the operations that can answer it.
_ERRORS: Final[dict[str, str]] = {
    "400": "malformed request: bad JSON, too deep, bad query parameter (BAD_REQUEST...)",
    "401": "no valid bearer token (UNAUTHORIZED)",
    "404": "no such record or entry (NOT_FOUND)",
    "408": "the body did not arrive in time (REQUEST_TIMEOUT)",
    "413": f"body over {MAX_BODY_BYTES} bytes (INPUT_TOO_LARGE)",
    "415": "the body is not declared as application/json (UNSUPPORTED_MEDIA_TYPE)",
    "422": "the record is well-formed JSON but not a valid sealed record",
    "503": "the node cannot answer now: STORE_ERROR, OVERLOADED, LOG_INCONSISTENT (it signs"
    " nothing), NO_SIGNING_KEY, STORED_BUNDLE_MISMATCH",
}

#: A log index or tree size in a query (``node.app._int_param`` refuses larger ones).
_INDEX: Final[dict[str, Any]] = {"type": "integer", "minimum": 0, "maximum": MAX_LOG_INDEX}


def _json_answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _text_answer(description: str) -> dict[str, Any]:
    return {"description": description, "content": {_TEXT: {"schema": {"type": "string"}}}}


def _errors(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in codes}


def _query(name: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": _INDEX,
    }


def _get(summary: str, ok: dict[str, Any], *errors: str, **extra: Any) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": {"200": ok, **_errors(*errors)}, **extra}}


_BODY: Final[dict[str, Any]] = {
    "required": True,
    "description": f"a sealed record (or {{'bundle': record}}), at most {MAX_BODY_BYTES} bytes",
    "content": {
        _JSON: {
            "schema": {
                "anyOf": [
                    ref("Bundle"),
                    {
                        "type": "object",
                        "required": ["bundle"],
                        "properties": {"bundle": ref("Bundle")},
                    },
                ]
            }
        }
    },
}

_ANY_BODY: Final[dict[str, Any]] = {
    "required": True,
    "description": "any JSON document: the report says which check it fails",
    "content": {_JSON: {"schema": {}}},
}

_ATTEST: Final[dict[str, Any]] = {
    "post": {
        "summary": "Validate a sealed record, log it, and answer with a signed receipt",
        "security": [{"bearer": []}],
        "requestBody": _BODY,
        "responses": {
            "201": _json_answer("logged now", ref("Attestation")),
            "200": _json_answer(
                "already logged: the receipt handed out before", ref("Attestation")
            ),
            **_errors("400", "401", "408", "413", "415", "422", "503"),
        },
    }
}

_BATCH: Final[dict[str, Any]] = {
    "post": {
        "summary": f"Validate and log up to {MAX_ATTEST_BATCH} records, each answered alone",
        "security": [{"bearer": []}],
        "parameters": [
            {
                "name": "atomic",
                "in": "query",
                "required": False,
                "description": "true: one failing record rejects the batch (422, none logged)",
                "schema": {"enum": ["true", "false", "1", "0"]},
            }
        ],
        "requestBody": {
            "required": True,
            "description": f"the records, at most {MAX_ATTEST_BATCH}, in {MAX_BODY_BYTES} bytes",
            "content": {_JSON: {"schema": {"anyOf": [RECORDS, ref("BatchRequest")]}}},
        },
        "responses": {
            "200": _json_answer("every record answered, in request order", ref("BatchAnswer")),
            "422": _json_answer(
                "atomic batch with failing records (BATCH_REJECTED, error.failures lists"
                " each index, code and message): nothing was logged",
                ref("Error"),
            ),
            **_errors("400", "401", "408", "413", "415", "503"),
        },
    }
}

_PATHS: Final[dict[str, Any]] = {
    "/v1/attest": _ATTEST,
    "/api/attest": _ATTEST,  # NexArt's path for the same operation
    "/v1/attest/batch": _BATCH,
    "/v1/records/{certificate_hash}": _get(
        "A logged record with its receipt, inclusion proof and latest checkpoint",
        _json_answer("the record", ref("Record")),
        "404",
        "503",
        parameters=[
            {
                "name": "certificate_hash",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
            }
        ],
    ),
    "/v1/verify": {
        "post": {
            "summary": "Verify a record with the offline verifier, trusting this node's keys",
            "requestBody": _ANY_BODY,
            "responses": {
                "200": _json_answer("the verification report", ref("Report")),
                **_errors("400", "408", "413", "415", "422", "503"),
            },
        }
    },
    "/.well-known/cerkit-node.json": _get(
        "The node's key document with every key's lifecycle",
        _json_answer("cerkit.keys.v1 document", ref("KeyDocument")),
    ),
    "/.well-known/nexart-node.json": _get(
        "The node's keys in NexArt's well-known shape",
        _json_answer("NexArt node document", ref("KeyDocument")),
    ),
    "/v1/checkpoint": _get(
        "The signed checkpoint of the latest tree (C2SP tlog-checkpoint signed note)",
        _text_answer("a signed note"),
        "503",
    ),
    "/v1/proof/inclusion": _get(
        "Inclusion proof of one leaf (by hash or index) in a tree size (RFC 9162 §2.1.3)",
        _json_answer("the audit path", ref("InclusionProof")),
        "400",
        "404",
        "503",
        parameters=[
            {
                "name": "hash",
                "in": "query",
                "required": False,
                "description": "certificateHash of the record (instead of index)",
                "schema": {"type": "string"},
            },
            _query("index", "leaf index (required unless hash is given)"),
            _query("treeSize", "tree size to prove against (default: the latest)"),
        ],
    ),
    "/v1/proof/consistency": _get(
        "Consistency proof between two tree sizes (RFC 9162 §2.1.4)",
        _json_answer("the consistency path", ref("ConsistencyProof")),
        "400",
        "503",
        parameters=[
            _query("from", "the older tree size", required=True),
            _query("to", "the newer tree size", required=True),
        ],
    ),
    "/v1/entries": _get(
        f"Log entries in [start, end), at most {MAX_ENTRIES_PAGE} per page",
        _json_answer("one page of entries", ref("Entries")),
        "400",
        "503",
        parameters=[_query("start", "first index (0)"), _query("end", "index after the last")],
    ),
    "/health": _get("The process is up", _json_answer("up", {"type": "object"})),
    "/ready": _get(
        "The store answers, the log is consistent and a signing key is active",
        _json_answer("ready", ref("Ready")),
        "503",
    ),
    "/version": _get(
        "Software version, node id and signing key id", _json_answer("version", ref("Version"))
    ),
    "/metrics": _get("Prometheus metrics", _text_answer("Prometheus text exposition format")),
    "/openapi.json": _get("This document", _json_answer("OpenAPI 3.1", {"type": "object"})),
}


def openapi_document() -> dict[str, Any]:
    """The whole document (a fresh copy each call is not needed: callers only read it)."""
    error = _json_answer("an error with its reason code", ref("Error"))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cerkit attestation node",
            "version": __version__,
            "description": "Countersigns sealed records and logs them in a transparency log.",
        },
        "paths": _PATHS,
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                f"E{code}": {**error, "description": why} for code, why in _ERRORS.items()
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
