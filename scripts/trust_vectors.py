"""Write (or ``--check``) the trust-layer conformance vectors in tests/vectors/cerkit/trust/.

Every vector is made with fixed keys and a frozen clock (``tests/trust_fixtures.py``), so
running this twice writes the same bytes; ``--check`` exits 1 when a file on disk differs.
``manifest.json`` lists each record with the trust files to verify it against and the
expected verdict, assurance level and reason codes (walked by tests/test_verify_layers.py).

    python scripts/trust_vectors.py [--check]
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "vectors" / "cerkit" / "trust"
sys.path.insert(0, str(ROOT / "tests"))

from cerkit.keys import KeyDocument, KeyEntry, KeyState, key_id, public_key_bytes  # noqa: E402
from trust_fixtures import (  # noqa: E402
    NEXT_NODE_KEY,
    NODE_KEY,
    PRODUCER_KEY,
    OfflineNode,
    document,
    entry,
    full_record,
    record,
)


def _producer_document() -> KeyDocument:
    key = KeyEntry(key_id(PRODUCER_KEY), public_key_bytes(PRODUCER_KEY), KeyState.ACTIVE)
    return KeyDocument(node_id="producer-test", keys=(key,))


def _revoked_document() -> KeyDocument:
    revoked = entry(NODE_KEY, KeyState.REVOKED, revoked_at="2026-03-01T00:00:00Z", reason="leak")
    return document(revoked, entry(NEXT_NODE_KEY))


def _case(
    name: str, trust: list[str], verdict: str, assurance: str, *reasons: str
) -> dict[str, Any]:
    return {
        "record": f"{name}.json",
        "trust": trust,
        "producerKeys": ["producer-keys.json"],
        "verdict": verdict,
        "assurance": assurance,
        "reasons": list(reasons),
    }


def build() -> dict[str, Any]:
    """Every file of the vector set, by name."""
    logged = full_record(OfflineNode(), 0)
    attested = copy.deepcopy(logged)
    for name in ("inclusionProof", "checkpoint"):
        del attested["meta"]["attestation"][name]
    receipt = copy.deepcopy(logged)
    receipt["meta"]["attestation"]["receipt"]["timestamp"] = "2026-01-01T00:00:01.000Z"
    proof = copy.deepcopy(logged)
    proof["meta"]["attestation"]["inclusionProof"]["hashes"].reverse()
    checkpoint = copy.deepcopy(logged)
    note = checkpoint["meta"]["attestation"]["checkpoint"]
    checkpoint["meta"]["attestation"]["checkpoint"] = note.replace("\n9\n", "\n10\n", 1)
    before = OfflineNode().attest(record(1), timestamp="2026-02-28T23:59:59Z")
    after = OfflineNode().attest(record(2), timestamp="2026-03-01T00:00:00Z")
    nodes, revoked = ["node-keys.json"], ["node-keys-revoked.nexart.json"]
    files: dict[str, Any] = {
        "node-keys.json": document().to_json(),
        "node-keys-revoked.nexart.json": _revoked_document().to_nexart_wellknown(),
        "producer-keys.json": _producer_document().to_json(),
        "logged.json": logged,
        "attested.json": attested,
        "tampered-receipt.json": receipt,
        "tampered-proof.json": proof,
        "tampered-checkpoint.json": checkpoint,
        "revoked-key-before-revocation.json": before,
        "revoked-key-after-revocation.json": after,
    }
    files["manifest.json"] = [
        _case("logged", nodes, "VERIFIED", "logged"),
        _case("logged", [], "VERIFIED", "signed"),
        _case("attested", nodes, "VERIFIED", "attested"),
        _case("tampered-receipt", nodes, "FAILED", "none", "RECEIPT_SIGNATURE_INVALID"),
        _case("tampered-proof", nodes, "FAILED", "none", "INCLUSION_PROOF_INVALID"),
        _case("tampered-checkpoint", nodes, "FAILED", "none", "CHECKPOINT_SIGNATURE_INVALID"),
        _case("revoked-key-before-revocation", revoked, "VERIFIED", "logged"),
        _case("revoked-key-after-revocation", revoked, "FAILED", "none", "RECEIPT_KEY_REVOKED"),
    ]
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for name, value in build().items():
        text = json.dumps(value, indent=2, ensure_ascii=False) + "\n"
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if stale:
        print(f"stale trust vectors: {', '.join(stale)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
