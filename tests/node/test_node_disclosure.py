"""A node attesting a disclosable record binds its commitments (docs/spec.md §6.3).

A real node in a subprocess: its answer for a disclosable record carries the node's
disclosure binding in ``meta.attestation.disclosure`` (the receipt stays NexArt's shape, so
the log audit still checks it), and a redacted copy of the attested record verifies with the
node's key document alone, no producer key.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
from node_checks import attested, trust_store

from cerkit.disclosure import redact, seal_disclosable
from cerkit.errors import Reason
from cerkit.keys import KeyDocument
from cerkit.node.audit import audit_node
from cerkit.node.client import NodeClient
from cerkit.verify import verify_bundle
from cerkit.verify.report import Layer, Status
from trust_fixtures import T0, yes_no_args

ARGS = yes_no_args("disclosable-1", created_at=False)


def reasons(report: Any) -> list[str]:
    return [str(c.reason) for c in report.failures]


def test_a_redacted_copy_of_a_node_attested_record_verifies_by_the_nodes_binding(
    make_node: Any,
) -> None:
    node = make_node()
    bundle, openings = seal_disclosable(ARGS, created_at=T0)
    with httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {node.token()}"}) as c:
        answer = c.post("/v1/attest", json=bundle).json()
        document = KeyDocument.from_json(c.get("/.well-known/cerkit-node.json").json())
        fetched = c.get(f"/v1/records/{bundle['certificateHash']}").json()
    binding = answer["attestation"]["disclosure"]
    assert set(binding) == {"commitments", "root", "signature"}
    assert "disclosureRoot" not in answer["receipt"]  # the receipt keeps its shape
    assert fetched["attestation"]["disclosure"] == binding  # the same when fetched again
    trust = trust_store(document)
    full = attested(bundle, answer)
    report = verify_bundle(full, trust=trust)
    assert report.ok and report.layer_status(Layer.DISCLOSURE) is Status.PASS, report.to_dict()

    shared = redact(full, openings, ["snapshot.input", "snapshot.output"])
    report = verify_bundle(shared, trust=trust)
    assert report.ok and report.layer_status(Layer.DISCLOSURE) is Status.PASS, report.to_dict()
    assert report.summary.startswith("VERIFIED (partial disclosure: 2 fields withheld)")
    assert any("the node's binding" in c.message for c in report.checks if c.name == "binding")

    changed = copy.deepcopy(shared)
    changed["snapshot"]["model"] = "gpt-5"
    assert reasons(verify_bundle(changed, trust=trust)) == [Reason.DISCLOSURE_ROOT_MISMATCH]
    forged = copy.deepcopy(shared)
    forged["meta"]["attestation"]["disclosure"]["root"] = "sha256:" + "0" * 64
    assert reasons(verify_bundle(forged, trust=trust)) == [Reason.RECEIPT_SIGNATURE_INVALID]
    # the log audit checks the receipts as the node signed them: nothing changed there
    with NodeClient(node.url) as client:
        assert audit_node(client, document).ok


def test_a_disclosable_record_whose_block_cannot_be_read_is_refused() -> None:
    from cerkit.errors import InvalidRecordError
    from cerkit.node.submission import dump_json, parse_submission
    from cerkit.seal import seal_args

    block = {"scheme": "cerkit.disclosure.v1", "fields": ["input"], "commitments": {}}
    bundle = seal_args({**ARGS, "disclosure": block}, created_at=T0)  # sealed as it is
    try:
        parse_submission(dump_json(bundle))
    except InvalidRecordError as exc:
        assert exc.reason == Reason.DISCLOSURE_MALFORMED
    else:
        raise AssertionError("the node accepted a disclosure block it cannot bind")
    plain = seal_args(ARGS, created_at=T0)
    assert parse_submission(dump_json(plain)).disclosure is None
