"""The verify page's pure parts: trust material from text, and splitting a submission."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

from cerkit.errors import Reason
from cerkit.portal.pages_verify import FormProblem, trust_from_texts, verify_text
from trust_fixtures import PRODUCER_KEY, OfflineNode, document, full_record, record


def _pem() -> str:
    public = PRODUCER_KEY.public_key()
    encoded = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return encoded.decode()


def test_no_trust_material_trusts_nothing() -> None:
    assert trust_from_texts({"nodekey": "", "producerkey": " ", "checkpoint": ""}) is None


def test_each_kind_of_material_lands_in_the_trust_store() -> None:
    node = OfflineNode()
    full_record(node)
    trust = trust_from_texts(
        {
            "nodekey": json.dumps(document().to_json()),
            "producerkey": _pem(),
            "checkpoint": node.notes[-1],
        }
    )
    assert trust is not None
    assert trust.has_node_keys and len(trust.producer_keys) == 1 and len(trust.checkpoints) == 1


@pytest.mark.parametrize(
    ("field", "text"),
    [("nodekey", "{}"), ("producerkey", "-----BEGIN PUBLIC KEY-----\nxx"), ("checkpoint", "x")],
)
def test_unreadable_material_names_its_field_and_reason(field: str, text: str) -> None:
    with pytest.raises(FormProblem) as caught:
        trust_from_texts({field: text})
    assert caught.value.reason is Reason.KEY_DOCUMENT_INVALID


def test_a_pretty_printed_record_is_one_document_and_lines_are_a_batch() -> None:
    single = verify_text(json.dumps(record(1), indent=2), "r.json")
    assert [r.source for r in single.reports] == ["r.json"]
    batch = verify_text(json.dumps(record(1)) + "\n{oops\n" + json.dumps(record(2)), "b")
    assert [r.source for r in batch.reports] == ["b:2", "b:1", "b:3"]
    assert batch.counts() == {"total": 3, "verified": 2, "failed": 1, "error": 0}
    assert batch.reports[0].checks[0].reason == Reason.MALFORMED_JSON


def test_text_that_is_no_json_at_all_fails_as_one_document() -> None:
    batch = verify_text("hello\nworld", "pasted")
    assert [r.verdict for r in batch.reports] == ["FAILED"]
