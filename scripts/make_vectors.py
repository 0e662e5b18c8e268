#!/usr/bin/env python3
"""Regenerate cerkit's conformance vectors in tests/vectors/cerkit/ (or check them).

    python scripts/make_vectors.py           # write the vectors
    python scripts/make_vectors.py --check   # exit 1 if any file differs from what is written

Everything is fixed: inputs are literal JSON texts below, ``createdAt`` and timestamps are
frozen, so the output is byte-for-byte reproducible. ``manifest.json`` lists:

* ``canonical``: a JSON document (``canonical/NAME.json``, the exact bytes parsed), a profile,
  and either the canonical text (``canonical/NAME.PROFILE.txt``) with its ``sha256:`` hash,
  or the reason code the document is refused with.
* ``records``: a bundle file (``records/NAME.json``) and what verifying it must say: the
  verdict, the sorted reason codes of failed integrity checks, the reported certificateHash,
  and whether NexArt 0.1.0's ``verifyCer`` accepts it (``nexart``).

tests/test_conformance.py walks the manifest; tests/test_nexart_interop.py also checks the
nexart-v1 vectors and the protocol 1.2.0 records against NexArt's own SDK.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cerkit.canonical import PROFILES, canonical_text  # noqa: E402
from cerkit.digest import hash_canonical  # noqa: E402
from cerkit.errors import CerkitError  # noqa: E402
from cerkit.jsonio import loads  # noqa: E402
from cerkit.seal import certificate_hash, seal_args  # noqa: E402
from cerkit.verify.integrity import check_integrity  # noqa: E402
from cerkit.verify.report import Layer, Report  # noqa: E402

OUT = ROOT / "tests" / "vectors" / "cerkit"
#: What this script writes under OUT (other generators write their own folders there).
OWNED = ("canonical", "records")
CREATED_AT = "2026-02-12T00:00:00.000Z"
TIMESTAMP = "2026-02-12T00:00:00.000Z"

CONTROL = "".join(f"\\u{c:04x}" for c in range(0x20))

#: name -> exact document text. Escapes are JSON escapes, parsed by cerkit's reader.
DOCUMENTS: dict[str, str] = {
    "numbers-exact": (
        "[0, -0, -0.0, 1.0, 100, 1e21, 1e20, 1e-7, 1e-6, 0.000001, 1.5e-6, 0.00001, 1.2345e-5,"
        " 0.1, 0.30000000000000004, 5e-324, 1.7976931348623157e308, 9007199254740992,"
        " -9007199254740992, 1152921504606846976, 123e-20, 1e16, 333333333.33333325]"
    ),
    "numbers-beyond-2-53": (
        "[9007199254740993, 9007199254740995, 18014398509481985, 100000000000000000001,"
        " 123456789012345678901234567890, -123456789012345678901234567890]"
    ),
    "keys-utf16-order": (
        '{"\\uffff": "bmp-max", "\\ud83d\\ude00": "astral", "\\ue000": "private-use",'
        ' "\\u00e9": "e-acute", "z": "z", "Z": "Z", "10": 10, "1": 1, "": "empty",'
        ' "\\u20ac": "euro", "\\ufb33": "dalet", "\\r": "cr", "\\u0080": "c1"}'
    ),
    "string-escapes": (
        '{"control": "' + CONTROL + '", "quote": "\\"", "backslash": "\\\\", "slash": "\\/",'
        ' "del": "\\u007f", "separators": "\\u2028\\u2029", "bom": "\\ufeff",'
        ' "non-ascii": "\\u00e9\\u4e2d\\ud834\\udd1e"}'
    ),
    "lone-surrogates": (
        '{"high": "a\\ud800b", "low": "\\udfff", "\\udc00key": "reversed \\udc00\\ud800"}'
    ),
    "nested-and-empty": '{"z": {"y": [3, {"b": 1, "a": null}], "x": true}, "a": [[], {}, ""]}',
    "top-level-scalar": '"hello \\"world\\""',
    "refused-nan": '{"a": NaN}',
    "refused-infinity": "[Infinity]",
    "refused-overflow": "[1e400]",
    "refused-integer-overflow": "[" + "1" + "0" * 309 + "]",
    "refused-duplicate-keys": '{"a": 1, "a": 2}',
    "refused-byte-order-mark": '\ufeff{"a": 1}',
    "refused-too-deep": "[" * 600 + "]" * 600,
    "refused-trailing-comma": '{"a": 1,}',
}


def _args(**changes: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "executionId": "cerkit-vector",
        "provider": "openai",
        "model": "gpt-4o",
        "modelVersion": "2024-08-06",
        "prompt": "You are a careful assistant.",
        "input": "What is the capital of France?",
        "output": "Paris.",
        "parameters": {"temperature": 0.2, "maxTokens": 64, "topP": 1, "seed": 42},
        "timestamp": TIMESTAMP,
        "sdkVersion": "0.1.0",
        "appId": "cerkit-vectors",
    }
    args.update(changes)
    return args


def _valid_records() -> dict[str, dict[str, Any]]:
    """Bundles that verify: each exercises one part of the format."""
    return {
        "valid-strings": seal_args(_args(), created_at=CREATED_AT),
        "valid-objects": seal_args(
            _args(
                input={"messages": [{"role": "user", "content": "2+2?"}], "n": 1.0},
                output={"content": "4", "usage": {"total": 9}, "p": 1e-7},
            ),
            created_at=CREATED_AT,
        ),
        "valid-extra-fields": seal_args(
            _args(
                parameters={"temperature": 0.7, "maxTokens": 256, "frequencyPenalty": 0.5},
                workflowId="wf-1",
                stepIndex=0,
                environment={"python": "3.11.7", "\U0001f600": 1, "\uffff": 2},
                effectiveParameters={"temperature": 0.7, "top_k": 40},
            ),
            created_at=CREATED_AT,
        ),
        "valid-big-integers": seal_args(
            _args(input={"id": 2**64 + 1, "ns": 1_700_000_000_000_000_001}), created_at=CREATED_AT
        ),
        "valid-lone-surrogate-nexart": seal_args(
            _args(input="broken \ud800 text", output={"k": "\udfff"}), created_at=CREATED_AT
        ),
        "valid-jcs-1.3.0": seal_args(
            _args(protocolVersion="1.3.0", input={"n": 2**60, "s": "\U0001f600"}),
            created_at=CREATED_AT,
        ),
        "valid-jcs-1.3.1": seal_args(_args(protocolVersion="1.3.1"), created_at=CREATED_AT),
        "valid-meta-unhashed": {
            **seal_args(_args(), created_at=CREATED_AT),
            "meta": {"source": "cerkit", "tags": ["vector"]},
        },
        "valid-context": _with_context(),
        "valid-redacted": _redacted(),
    }


def _with_context() -> dict[str, Any]:
    bundle = seal_args(_args(), created_at=CREATED_AT)
    bundle["context"] = {"signals": [{"type": "retrieval", "score": 0.5}]}
    bundle["contextSummary"] = {"count": 1}
    bundle["certificateHash"] = certificate_hash(bundle)
    return bundle


def _redacted() -> dict[str, Any]:
    bundle = seal_args(_args(), created_at=CREATED_AT)
    for name in ("prompt", "input", "output"):
        del bundle["snapshot"][name]
    bundle["certificateHash"] = certificate_hash(bundle)
    return bundle


def _tampered(base: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Named invalid cases, each one change away from a valid record."""

    def change(path: tuple[str, ...], value: Any = None, *, delete: bool = False) -> Any:
        bundle = copy.deepcopy(base)
        target = bundle
        for key in path[:-1]:
            target = target[key]
        if delete:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return bundle

    return {
        "tampered-output": change(("snapshot", "output"), "Lyon."),
        "tampered-input": change(("snapshot", "input"), "What is the capital of Italy?"),
        "tampered-created-at": change(("createdAt",), "2026-02-12T00:00:00.001Z"),
        "tampered-model": change(("snapshot", "model"), "gpt-4o-mini"),
        "tampered-temperature": change(("snapshot", "parameters", "temperature"), 0.3),
        "tampered-added-field": change(("snapshot", "note"), "added after sealing"),
        "tampered-certificate-hash": change(("certificateHash",), "sha256:" + "0" * 64),
        "invalid-bundle-type": change(("bundleType",), "cer.other.v1"),
        "invalid-malformed-digest": change(("snapshot", "outputHash"), "sha256:ABC"),
        "invalid-missing-snapshot": change(("snapshot",), delete=True),
        "invalid-empty-prompt": change(("snapshot", "prompt"), ""),
        "invalid-temperature-type": change(("snapshot", "parameters", "temperature"), "0.2"),
        "invalid-protocol-version": change(("snapshot", "protocolVersion"), "2.0.0"),
    }


#: Record files whose bytes are written by hand (they must fail to parse, or carry values
#: that only a JSON text can hold).
RAW_RECORDS: dict[str, str] = {
    "invalid-nan-parameter": '{"bundleType": "cer.ai.execution.v1", "parameters": NaN}',
    "invalid-duplicate-keys": '{"bundleType": "cer.ai.execution.v1", "bundleType": "x"}',
    "invalid-not-an-object": "[]",
}


def _jcs_lone_surrogate() -> str:
    """A 1.3.0 record whose output holds a lone surrogate: jcs-v1 has no form for it."""
    bundle = seal_args(_args(protocolVersion="1.3.0"), created_at=CREATED_AT)
    bundle["snapshot"]["output"] = {"k": "\ud800"}
    return json.dumps(bundle, indent=2, ensure_ascii=True) + "\n"


def _record_expectation(name: str, text: str) -> dict[str, Any]:
    try:
        document = loads(text.encode("utf-8"))
    except CerkitError as exc:
        return {"name": name, "verdict": "FAILED", "reasons": [str(exc.reason)], "nexart": False}
    report = Report(certificate_hash="")
    if isinstance(document, dict) and isinstance(document.get("certificateHash"), str):
        report.certificate_hash = document["certificateHash"]
    check_integrity(document, report)
    failed = sorted({str(c.reason) for c in report.failures if c.layer is Layer.INTEGRITY})
    return {
        "name": name,
        "verdict": report.verdict,
        "reasons": failed,
        "certificateHash": report.certificate_hash,
        "nexart": report.verdict == "VERIFIED" and _nexart_0_1_reads(document),
    }


def _nexart_0_1_reads(bundle: dict[str, Any]) -> bool:
    """Whether NexArt 0.1.0's verifyCer can accept this record: it knows protocol 1.2.0
    only, hashes no context fields and needs prompt, input and output."""
    snapshot = bundle["snapshot"]
    return (
        snapshot.get("protocolVersion") == "1.2.0"
        and not {"context", "contextSummary", "policyEvaluation"} & bundle.keys()
        and all(name in snapshot for name in ("prompt", "input", "output"))
    )


def build() -> dict[Path, bytes]:
    """Every vector file, by path, and the manifest."""
    files: dict[Path, bytes] = {}
    canonical_cases = []
    for name, text in DOCUMENTS.items():
        document = Path("canonical") / f"{name}.json"
        files[document] = text.encode("utf-8")
        for profile in PROFILES:
            case: dict[str, Any] = {
                "name": f"{name}/{profile}",
                "document": str(document),
                "profile": profile,
            }
            try:
                value = loads(text.encode("utf-8"))
                canonical = canonical_text(value, profile)
            except CerkitError as exc:
                case |= {"error": str(exc.reason), "canonical": None, "hash": None}
            else:
                path = Path("canonical") / f"{name}.{profile}.txt"
                files[path] = canonical.encode("utf-8")
                case |= {"error": None, "canonical": str(path)}
                case["hash"] = hash_canonical(value, profile)
            canonical_cases.append(case)
    valid = _valid_records()
    texts = {name: json.dumps(b, indent=2, ensure_ascii=True) + "\n" for name, b in valid.items()}
    for name, bundle in _tampered(valid["valid-strings"]).items():
        texts[name] = json.dumps(bundle, indent=2, ensure_ascii=True) + "\n"
    texts["invalid-jcs-lone-surrogate"] = _jcs_lone_surrogate()
    texts |= {name: text + "\n" for name, text in RAW_RECORDS.items()}
    record_cases = []
    for name in sorted(texts):
        path = Path("records") / f"{name}.json"
        files[path] = texts[name].encode("utf-8")
        record_cases.append({**_record_expectation(name, texts[name]), "file": str(path)})
    manifest = {
        "generator": "scripts/make_vectors.py",
        "createdAt": CREATED_AT,
        "canonical": canonical_cases,
        "records": record_cases,
    }
    files[Path("manifest.json")] = (json.dumps(manifest, indent=2) + "\n").encode("utf-8")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="regenerate or check tests/vectors/cerkit/")
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    options = parser.parse_args(argv)
    files = build()
    stale = [
        p for p, data in files.items() if not (OUT / p).exists() or (OUT / p).read_bytes() != data
    ]
    # Only the folders this script owns: tests/vectors/cerkit/ also holds other generators'.
    extra = [
        path.relative_to(OUT)
        for folder in OWNED
        if (OUT / folder).exists()
        for path in (OUT / folder).rglob("*")
        if path.is_file() and path.relative_to(OUT) not in files
    ]
    if options.check:
        for path in sorted(stale):
            print(f"out of date: tests/vectors/cerkit/{path}", file=sys.stderr)
        for path in sorted(extra):
            print(f"not generated: tests/vectors/cerkit/{path}", file=sys.stderr)
        return 1 if stale or extra else 0
    for path, data in files.items():
        (OUT / path).parent.mkdir(parents=True, exist_ok=True)
        (OUT / path).write_bytes(data)
    for path in extra:
        (OUT / path).unlink()
    print(f"wrote {len(files)} files to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
