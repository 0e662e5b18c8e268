"""The component schemas of the node's OpenAPI document (:mod:`cerkit.node.openapi`)."""

from __future__ import annotations

from typing import Any, Final

from cerkit.node.limits import MAX_ATTEST_BATCH

U64: Final[dict[str, Any]] = {"type": "integer", "minimum": 0}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


#: A batch's records (``POST /v1/attest/batch``).
RECORDS: Final[dict[str, Any]] = {"type": "array", "minItems": 1, "maxItems": MAX_ATTEST_BATCH}

_STR: Final[dict[str, str]] = {"type": "string"}

SCHEMAS: Final[dict[str, Any]] = {
    "Bundle": {
        "description": "A sealed record, cer.ai.execution.v1 (docs/schemas/bundle.json); the node"
        " recomputes its certificateHash (422 when it does not match)",
        "type": "object",
        "required": ["bundleType", "certificateHash", "createdAt", "version", "snapshot"],
        "properties": {
            "bundleType": {"const": "cer.ai.execution.v1"},
            "certificateHash": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
            "createdAt": {"type": "string", "minLength": 1},
            "version": {"const": "0.1"},
            "snapshot": {"type": "object"},
            "meta": {"type": ["object", "null"]},
        },
    },
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": _STR, "message": _STR},
            }
        },
    },
    "Attestation": {
        "type": "object",
        "required": [
            "certificateHash",
            "logIndex",
            "created",
            "receipt",
            "signatureB64Url",
            "attestorKeyId",
            "nodeId",
            "attestation",
        ],
        "properties": {
            "certificateHash": _STR,
            "logIndex": U64,
            "created": {"type": "boolean"},
            "receipt": {"type": "object"},
            "signatureB64Url": _STR,
            "attestorKeyId": _STR,
            "nodeId": _STR,
            "attestation": {"type": "object", "description": "meta.attestation of the record"},
        },
    },
    "BatchRequest": {
        "type": "object",
        "required": ["records"],
        "additionalProperties": False,
        "properties": {
            "records": {**RECORDS, "items": ref("Bundle")},
            "atomic": {"type": "boolean"},
        },
    },
    "BatchAnswer": {
        "type": "object",
        "required": ["atomic", "count", "created", "existing", "failed", "results"],
        "properties": {
            **{name: U64 for name in ("count", "created", "existing", "failed")},
            "atomic": {"type": "boolean"},
            "results": {
                "type": "array",
                "description": "an Attestation plus index, or {index, error: {code, message}}",
                "items": {"type": "object", "required": ["index"]},
            },
        },
    },
    "Record": {
        "allOf": [
            ref("Attestation"),
            {
                "type": "object",
                "required": ["bundle"],
                "properties": {"bundle": {"type": "object"}},
            },
        ]
    },
    "Report": {
        "type": "object",
        "required": ["verdict", "assurance", "layers", "checks"],
        "properties": {
            "source": _STR,
            "certificateHash": _STR,
            "verdict": _STR,
            "assurance": _STR,
            "layers": {"type": "object", "additionalProperties": _STR},
            "checks": {"type": "array", "items": {"type": "object"}},
            "notes": {"type": "array", "items": _STR},
            "withheld": {"type": "array", "items": _STR},
        },
    },
    "KeyDocument": {
        "type": "object",
        "required": ["nodeId", "keys"],
        "properties": {
            "format": _STR,
            "nodeId": _STR,
            "origin": _STR,
            "activeKid": {"type": ["string", "null"]},
            "keys": {"type": "array", "items": {"type": "object"}},
        },
    },
    "InclusionProof": {
        "type": "object",
        "required": ["logIndex", "treeSize", "hashes"],
        "properties": {
            "logIndex": U64,
            "treeSize": U64,
            "hashes": {"type": "array", "items": _STR},
        },
    },
    "ConsistencyProof": {
        "type": "object",
        "required": ["from", "to", "hashes"],
        "properties": {"from": U64, "to": U64, "hashes": {"type": "array", "items": _STR}},
    },
    "Entries": {
        "type": "object",
        "required": ["start", "end", "entries"],
        "properties": {
            "start": U64,
            "end": U64,
            "entries": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "certificateHash", "timestamp", "kid", "signatureB64Url"],
                    "properties": {
                        "index": U64,
                        "certificateHash": _STR,
                        "timestamp": _STR,
                        "kid": _STR,
                        "signatureB64Url": _STR,
                    },
                },
            },
        },
    },
    "Ready": {
        "type": "object",
        "required": ["status", "treeSize"],
        "properties": {"status": _STR, "treeSize": U64},
    },
    "Version": {
        "type": "object",
        "required": ["version", "nodeId", "kid"],
        "properties": {"version": _STR, "nodeId": _STR, "kid": {"type": ["string", "null"]}},
    },
}
