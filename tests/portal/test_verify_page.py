"""The verify page in Chromium: layers, batches, project bundles, trust material, drop."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cerkit.checkpoint import Checkpoint, sign_checkpoint
from cerkit.ledger.factory import open_record_store
from cerkit.portal.app import create_portal
from portal_served import served
from trust_fixtures import NODE_KEY, PRODUCER_KEY, OfflineNode, document, full_record, record

from .kit import CHROMIUM, watch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium absent"),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = open_record_store(tmp_path_factory.mktemp("verify") / "ledger.db")
    with served(create_portal(store)) as url:
        yield url
    store.close()


def _submit(page: Any, base: str, text: str, **trust: str) -> None:
    page.goto(base + "/")
    page.fill("#record", text)
    for name, value in trust.items():
        page.fill(f"#{name}", value)
    page.click("button[type=submit]")


def _layers(page: Any) -> dict[str, tuple[str, str]]:
    rows = page.locator("section.report").first.locator("table.layers tbody tr")
    found = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        found[row.get_attribute("data-layer")] = (
            row.locator(".status").inner_text(),
            row.locator(".reason").inner_text(),
        )
    return found


def test_each_layer_shows_its_result_reason_and_explanation(base: str, browser: Any) -> None:
    page = browser.new_page()
    _submit(page, base, json.dumps(record(1)))
    assert page.locator("[data-verdict]").first.inner_text() == "VERIFIED"
    assert page.locator("[data-assurance]").first.inner_text() == "assurance: sealed"
    layers = _layers(page)
    assert layers["integrity"] == ("PASS", "OK")
    assert layers["node_receipt"] == ("SKIPPED", "NOT_PRESENT")
    explanation = page.locator("tr[data-layer=integrity] td").nth(2).inner_text()
    assert "recompute" in explanation
    page.close()


def test_a_tampered_record_fails_with_its_reason_in_the_layer_row(base: str, browser: Any) -> None:
    page = browser.new_page()
    tampered = record(2)
    tampered["snapshot"]["output"] = {"answer": "changed"}
    _submit(page, base, json.dumps(tampered))
    assert page.locator("[data-verdict]").first.inner_text() == "FAILED"
    status, reason = _layers(page)["integrity"]
    assert status == "FAIL" and reason in ("OUTPUT_HASH_MISMATCH", "CERTIFICATE_HASH_MISMATCH")
    reasons = page.locator("table.checks tr.fail .reason").all_text_contents()
    assert "OUTPUT_HASH_MISMATCH" in reasons
    page.close()


def test_a_batch_counts_its_lines_and_shows_the_bad_one_first(base: str, browser: Any) -> None:
    page = browser.new_page()
    bad = record(7)
    bad["snapshot"]["input"] = "forged"
    lines = [json.dumps(record(i)) for i in range(3)] + [json.dumps(bad)]
    _submit(page, base, "\n".join(lines))
    assert page.locator("[data-count=verified]").inner_text() == "3"
    assert page.locator("[data-count=failed]").inner_text() == "1"
    assert page.locator("[data-verdict]").all_inner_texts() == [
        "FAILED",
        "VERIFIED",
        "VERIFIED",
        "VERIFIED",
    ]
    assert page.locator("section.report .source").first.inner_text() == "pasted:4"
    page.close()


def test_trust_material_on_the_page_raises_the_assurance_level(base: str, browser: Any) -> None:
    node = OfflineNode()
    full = full_record(node)
    page = browser.new_page()
    _submit(page, base, json.dumps(full))
    assert page.locator("[data-assurance]").first.inner_text() == "assurance: sealed"
    assert _layers(page)["node_receipt"] == ("SKIPPED", "NO_TRUSTED_KEYS")
    keydoc = json.dumps(document().to_json())
    _submit(page, base, json.dumps(full), nodekey=keydoc)
    assert page.locator("[data-assurance]").first.inner_text() == "assurance: logged"
    assert _layers(page)["transparency_log"] == ("PASS", "OK")
    assert _layers(page)["producer_signature"][0] == "SKIPPED"
    from cryptography.hazmat.primitives import serialization

    pem = (
        PRODUCER_KEY.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    _submit(page, base, json.dumps(full), nodekey=keydoc, producerkey=pem)
    assert _layers(page)["producer_signature"] == ("PASS", "OK")
    page.close()


def test_a_saved_checkpoint_that_disagrees_with_the_record_fails_the_log(
    base: str, browser: Any
) -> None:
    node = OfflineNode()
    full = full_record(node)
    proof_size = node.tree.size
    forged = sign_checkpoint(
        Checkpoint("cerkit.test/node-test", proof_size, b"\x07" * 32),
        "cerkit.test/node-test",
        NODE_KEY,
    )
    page = browser.new_page()
    keydoc = json.dumps(document().to_json())
    _submit(page, base, json.dumps(full), nodekey=keydoc, checkpoint=forged)
    assert page.locator("[data-verdict]").first.inner_text() == "FAILED"
    assert _layers(page)["transparency_log"] == ("FAIL", "CONSISTENCY_PROOF_INVALID")
    page.close()


def test_unreadable_trust_material_is_an_error_with_its_reason(base: str, browser: Any) -> None:
    page = browser.new_page()
    _submit(page, base, json.dumps(record(1)), checkpoint="not a signed note")
    assert "KEY_DOCUMENT_INVALID" in page.locator("[role=alert]").inner_text()
    assert page.locator("[data-verdict]").count() == 0
    page.close()


PROJECT = Path(__file__).parents[1] / "vectors" / "nexart" / "project-bundle.json"


def test_a_project_bundle_is_verified_step_by_step(base: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(base + "/")
    page.set_input_files("#record_file", str(PROJECT))
    page.click("button[type=submit]")
    assert page.locator("[data-verdict]").first.inner_text() == "VERIFIED"
    checks = page.locator("table.checks td:nth-child(2)").all_text_contents()
    assert "project_hash" in checks and "step_chain" in checks
    page.close()


def test_a_dropped_file_fills_the_upload_and_is_verified(base: str, browser: Any) -> None:
    page = browser.new_page()
    page.goto(base + "/")
    text = json.dumps(record(3))
    handle = page.evaluate_handle(
        """(text) => { const dt = new DataTransfer();
        dt.items.add(new File([text], 'dropped.json', {type: 'application/json'}));
        return dt; }""",
        text,
    )
    page.dispatch_event("#drop", "drop", {"dataTransfer": handle})
    assert "dropped.json" in page.locator("#drop [role=status]").inner_text()
    page.click("button[type=submit]")
    assert page.locator("[data-verdict]").first.inner_text() == "VERIFIED"
    assert page.locator("section.report .source").first.inner_text() == "dropped.json"
    page.close()


def test_hostile_file_names_and_fields_are_text_and_nothing_runs(
    base: str, browser: Any, tmp_path: Path
) -> None:
    page = browser.new_page()
    dialogs, console = watch(page)
    hostile = tmp_path / "<img src=x onerror=alert(1)>.json"
    bad = record(4)
    bad["bundleType"] = "<script>alert(2)</script>"
    bad["snapshot"]["output"] = "javascript:alert(3)"
    hostile.write_text(json.dumps(bad), encoding="utf-8")
    page.goto(base + "/")
    page.set_input_files("#record_file", str(hostile))
    page.click("button[type=submit]")
    assert page.locator("[data-verdict]").first.inner_text() == "FAILED"
    assert page.locator("section.report .source").first.inner_text() == hostile.name
    assert page.locator("main img, main script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert dialogs == [] and not [m for m in console if "alert" in m]
    page.close()
