"""Selective disclosure (layer 5) and privacy modes at capture (docs/spec.md §7)."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cerkit.capture.recorder import record
from cerkit.digest import hash_payload
from cerkit.disclosure import disclose, seal_disclosable
from cerkit.disclosure import redact as redact_shared
from cerkit.disclosure.commitments import clone, commit
from cerkit.disclosure.privacy import Privacy
from cerkit.errors import Reason, UsageError
from cerkit.keys import public_key_bytes
from cerkit.signing import sign_bundle
from cerkit.verify import verify_bundle
from cerkit.verify.render import report_text
from cerkit.verify.report import Layer, Status
from cerkit.verify.trust import TrustStore
from trust_fixtures import PRODUCER_KEY, T0

TRUST = TrustStore(producer_keys=(public_key_bytes(PRODUCER_KEY),))


def chat(
    messages: list[dict[str, str]], model: str = "gpt-4o-mini", temperature: float = 0.0
) -> dict[str, Any]:
    """An LLM-shaped call: chat messages in, a chat completion out."""
    answer = "yes" if "refund" in messages[-1]["content"] else "no"
    return {
        "id": "chatcmpl-1",
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}}],
        "usage": {"prompt_tokens": 21, "completion_tokens": 1},
    }


@pytest.fixture(scope="module")
def recorded() -> tuple[dict[str, Any], dict[str, Any]]:
    """A record made by the real recorder, sealed disclosable, signed by the producer."""
    openings: list[dict[str, Any]] = []
    recorded_chat = record(
        store=False, privacy=Privacy(disclosable=True, openings=openings.append)
    )(chat)
    recorded_chat(
        [
            {"role": "system", "content": "You are a support agent for ACME."},
            {"role": "user", "content": "Customer 4711, Jane Roe, asks for a refund of order 99."},
        ],
        temperature=0.2,
    )
    bundle = sign_bundle(recorded_chat.last_record, PRODUCER_KEY)  # type: ignore[attr-defined]
    return bundle, openings[0]


def redact(bundle: dict[str, Any], openings: dict[str, Any], paths: Any) -> dict[str, Any]:
    """A copy the test may tamper with (``redact`` shares unchanged values with its input)."""
    return clone(redact_shared(bundle, openings, paths))  # type: ignore[no-any-return]


def leaf_paths(bundle: dict[str, Any]) -> list[str]:
    return sorted(bundle["snapshot"]["disclosure"]["commitments"])


def reasons(report: Any) -> list[str]:
    return [str(c.reason) for c in report.failures]


def test_disclosable_record_verifies_in_full_and_names_its_commitments(recorded: Any) -> None:
    bundle, openings = recorded
    assert set(openings["salts"]) == set(leaf_paths(bundle))
    assert "snapshot.input.args[0]" in leaf_paths(bundle)
    assert "snapshot.output.choices[0]" in leaf_paths(bundle)
    report = verify_bundle(bundle, trust=TRUST)
    assert report.ok and report.layer_status(Layer.DISCLOSURE) is Status.PASS, report.to_dict()
    # the salts never enter the record
    text = json.dumps(bundle)
    assert not any(salt in text for salt in openings["salts"].values())


def _check_subset(bundle: dict[str, Any], openings: dict[str, Any], withheld: list[str]) -> None:
    shared = redact(bundle, openings, withheld)
    report = verify_bundle(shared, trust=TRUST)
    assert report.ok, (withheld, report.to_dict())
    leaves = sorted(
        p
        for p in leaf_paths(bundle)
        if any(p == w or p.startswith((w + ".", w + "[")) for w in withheld)
    )
    assert report.withheld == leaves
    if leaves:
        assert report.layer_status(Layer.DISCLOSURE) is Status.PASS
        fields = f"{len(leaves)} field" + ("s" if len(leaves) != 1 else "")
        assert report.summary == f"VERIFIED (partial disclosure: {fields} withheld)"
        assert report.certificate_hash == bundle["certificateHash"]
        again = verify_bundle(disclose(shared, bundle, openings, withheld), trust=TRUST)
        assert again.ok and not again.withheld, again.to_dict()


FIELDS = (
    "snapshot.prompt",
    "snapshot.input",
    "snapshot.output",
    "snapshot.parameters",
    "snapshot.effectiveParameters",
)


def test_every_subset_of_disclosable_fields_withheld_and_disclosed_verifies(recorded: Any) -> None:
    bundle, openings = recorded
    for size in range(len(FIELDS) + 1):
        for withheld in itertools.combinations(FIELDS, size):
            _check_subset(bundle, openings, list(withheld))


def test_every_single_and_pair_of_leaves_and_sampled_larger_subsets_verify(recorded: Any) -> None:
    bundle, openings = recorded
    paths = leaf_paths(bundle)
    assert len(paths) >= 15  # messages, keys and parameters one by one
    subsets = [list(c) for size in (1, 2) for c in itertools.combinations(paths, size)]
    rng = random.Random(14)
    subsets += [rng.sample(paths, rng.randint(3, len(paths))) for _ in range(150)]
    for withheld in subsets:
        _check_subset(bundle, openings, withheld)


def test_text_report_lists_withheld_fields_as_withheld(recorded: Any) -> None:
    bundle, openings = recorded
    shared = redact(bundle, openings, ["snapshot.input", "snapshot.output"])
    text = report_text(verify_bundle(shared, trust=TRUST))
    assert "VERIFIED (partial disclosure:" in text
    assert "    withheld: snapshot.input.args[0]" in text
    assert "withheld: snapshot.output.choices[0]" in text
    assert shared["snapshot"]["output"]["choices"][0] == {
        "$withheld": bundle["snapshot"]["disclosure"]["commitments"]["snapshot.output.choices[0]"][
            "commitment"
        ]
    }
    assert "inputHash" not in shared["snapshot"] and "outputHash" not in shared["snapshot"]


def _shared(recorded: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    bundle, openings = recorded
    return bundle, openings, redact(bundle, openings, ["snapshot.input.args[0]"])


def test_changed_disclosed_value_fails_with_its_code(recorded: Any) -> None:
    _, _, shared = _shared(recorded)
    shared["snapshot"]["output"]["choices"][0]["message"]["content"] = "no"
    report = verify_bundle(shared, trust=TRUST)
    assert reasons(report) == [Reason.DISCLOSED_VALUE_MISMATCH]


def test_wrong_salt_fails_with_its_code(recorded: Any) -> None:
    _, _, shared = _shared(recorded)
    shared["meta"]["disclosure"]["openings"]["snapshot.prompt"] = "A" * 22
    assert reasons(verify_bundle(shared, trust=TRUST)) == [Reason.SALT_MISMATCH]


def test_value_moved_to_another_path_fails_with_its_code(recorded: Any) -> None:
    bundle, openings = recorded
    shared = redact(bundle, openings, [])
    snap, opened = shared["snapshot"], shared["meta"]["disclosure"]["openings"]
    # the usage block moved onto the id's path, with its own salt
    snap["output"]["id"], opened["snapshot.output.id"] = (
        snap["output"]["usage"],
        opened["snapshot.output.usage"],
    )
    shared["meta"]["disclosure"]["withheld"] = []
    assert Reason.VALUE_MOVED in reasons(verify_bundle(shared, trust=TRUST))
    # the same, keeping the path's salt: the value still opens the other path
    shared = redact(bundle, openings, [])
    shared["snapshot"]["output"]["id"] = shared["snapshot"]["output"]["usage"]
    assert Reason.VALUE_MOVED in reasons(verify_bundle(shared, trust=TRUST))


def test_commitment_swapped_between_records_fails_with_its_code(recorded: Any) -> None:
    bundle, _openings, shared = _shared(recorded)
    other, other_openings = seal_disclosable(
        {
            **{
                k: bundle["snapshot"][k]
                for k in ("executionId", "provider", "model", "timestamp", "parameters")
            },
            "prompt": "p",
            "input": "x",
            "output": bundle["snapshot"]["output"],
        },
        created_at=T0,
    )
    path = "snapshot.output.choices[0]"
    # B's value, salt and commitment, all consistent with each other, moved into A's copy
    shared["snapshot"]["disclosure"]["commitments"][path] = other["snapshot"]["disclosure"][
        "commitments"
    ][path]
    shared["meta"]["disclosure"]["openings"][path] = other_openings["salts"][path]
    report = verify_bundle(shared, trust=TRUST)
    assert reasons(report) == [Reason.COMMITMENT_SWAPPED], report.to_dict()


def test_changed_undisclosable_field_of_a_copy_fails_the_binding(recorded: Any) -> None:
    _, _, shared = _shared(recorded)
    shared["snapshot"]["model"] = "gpt-5"
    assert reasons(verify_bundle(shared, trust=TRUST)) == [Reason.DISCLOSURE_ROOT_MISMATCH]


def test_copy_without_trusted_binding_says_what_is_not_proven(recorded: Any) -> None:
    _, _, shared = _shared(recorded)
    report = verify_bundle(shared)  # no trusted producer key
    assert report.ok and report.assurance.label == "sealed"
    binding = [c for c in report.checks if c.name == "binding"]
    assert binding[0].status is Status.SKIPPED and binding[0].reason == Reason.DISCLOSURE_UNBOUND
    # and a forged copy with the producer part stripped is no better than that
    del shared["meta"]["producer"]
    assert verify_bundle(shared, trust=TRUST).layer_status(Layer.DISCLOSURE) is not Status.PASS


def test_withheld_yes_no_answer_cannot_be_confirmed_without_its_salt(recorded: Any) -> None:
    bundle, openings = recorded
    path = "snapshot.output.choices[0]"
    shared = redact(bundle, openings, [path])
    text = json.dumps(shared)
    strings = {s for s in json.loads(text, object_hook=lambda o: o) and _strings(shared)}
    actual = bundle["snapshot"]["output"]["choices"][0]
    guesses = [copy.deepcopy(actual) for _ in range(2)]
    guesses[1]["message"]["content"] = "no" if actual["message"]["content"] == "yes" else "yes"
    for guess in guesses:
        unsalted = {
            hash_payload(guess),
            hash_payload(guess["message"]["content"]),
            "sha256:" + hashlib.sha256(guess["message"]["content"].encode()).hexdigest(),
        }
        assert not unsalted & strings
        # every string the copy carries, tried as the salt, opens nothing
        for candidate in strings:
            assert commit(candidate, path, guess, "nexart-v1") not in strings
    # control: the true salt (held by the producer) does open it
    salt = openings["salts"][path]
    assert commit(salt, path, actual, "nexart-v1") in strings
    assert commit(salt, path, guesses[1], "nexart-v1") not in strings
    # control: the same guesses confirm the answer at once against an unsalted digest,
    # the outputHash a plain or hash-only record carries
    plain = bundle["snapshot"]["outputHash"]
    assert [hash_payload(g) for g in guesses].count(plain) == 0  # the choice, not the output
    output = copy.deepcopy(bundle["snapshot"]["output"])
    confirmed = []
    for guess in guesses:
        output["choices"][0] = guess
        confirmed += [guess["message"]["content"]] if hash_payload(output) == plain else []
    assert confirmed == [actual["message"]["content"]]


def _strings(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        return (
            set().union(*(_strings(k) | _strings(v) for k, v in value.items())) if value else set()
        )
    if isinstance(value, list):
        return set().union(*(_strings(v) for v in value)) if value else set()
    return set()


def test_unknown_path_is_a_usage_error(recorded: Any) -> None:
    bundle, openings = recorded
    with pytest.raises(UsageError):
        redact(bundle, openings, ["snapshot.nope"])


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(st.text(max_size=20), st.integers(), st.lists(st.text(max_size=5), max_size=3)),
        min_size=1,
        max_size=4,
    ),
    st.data(),
)
def test_any_structured_input_redacts_and_verifies(value: dict[str, Any], data: Any) -> None:
    args = {
        "executionId": "e",
        "provider": "p",
        "model": "m",
        "prompt": "q",
        "input": value,
        "output": "o",
        "parameters": {"temperature": 0, "maxTokens": 1},
        "timestamp": T0,
    }
    bundle, openings = seal_disclosable(args, created_at=T0)
    bundle = sign_bundle(bundle, PRODUCER_KEY)
    paths = leaf_paths(bundle)
    withheld = data.draw(st.lists(st.sampled_from(paths), unique=True))
    report = verify_bundle(redact(bundle, openings, withheld), trust=TRUST)
    assert report.ok and report.withheld == sorted(withheld), report.to_dict()


def test_hash_only_record_keeps_only_hashes_and_proves_given_content() -> None:
    recorded_chat = record(store=False, content="hash")(chat)
    messages = [{"role": "user", "content": "refund please"}]
    out = recorded_chat(messages)
    bundle = recorded_chat.last_record  # type: ignore[attr-defined]
    snap = bundle["snapshot"]
    assert not {"prompt", "input", "output"} & set(snap)
    assert snap["privacy"]["content"] == "hash"
    assert "refund" not in json.dumps(snap)
    assert verify_bundle(bundle).ok
    assert snap["outputHash"] == hash_payload(json.loads(json.dumps(out)))


def test_mask_runs_before_sealing_and_the_record_names_it() -> None:
    def scrub_names(value: Any) -> Any:
        return json.loads(json.dumps(value).replace("Jane Roe", "[name]"))

    recorded_chat = record(store=False, privacy=Privacy(mask=scrub_names))(chat)
    recorded_chat([{"role": "user", "content": "Jane Roe wants a refund"}])
    snap = recorded_chat.last_record["snapshot"]  # type: ignore[attr-defined]
    assert "Jane Roe" not in json.dumps(snap)
    assert snap["privacy"]["mask"]["entryPoint"].endswith("scrub_names")
    assert snap["privacy"]["mask"]["codeDigest"].startswith("sha256:")
    assert verify_bundle(recorded_chat.last_record).ok  # type: ignore[attr-defined]


def test_nexart_redacted_reseal_verifies_in_compat_mode_with_a_note() -> None:
    from pathlib import Path

    from cerkit.jsonio import load_file

    path = Path(__file__).parent / "vectors" / "nexart" / "redacted-reseal-cer.json"
    report = verify_bundle(load_file(path), nexart_compat=True)
    assert report.layer_status(Layer.INTEGRITY) is Status.PASS
    assert any("not authenticated" in note for note in report.notes)


def test_hash_only_record_verifies_in_compat_mode_with_a_note() -> None:
    recorded_chat = record(store=False, content="hash")(chat)
    recorded_chat([{"role": "user", "content": "refund please"}])
    report = verify_bundle(recorded_chat.last_record, nexart_compat=True)  # type: ignore[attr-defined]
    assert report.ok
    assert any("hash-only record" in note for note in report.notes)


def test_a_node_receipt_carrying_the_disclosure_root_binds_a_copy() -> None:
    from cerkit.disclosure import view_digests
    from trust_fixtures import OfflineNode, document

    args = {
        "executionId": "e",
        "provider": "p",
        "model": "m",
        "prompt": "q",
        "input": "x",
        "output": "yes",
        "parameters": {"temperature": 0, "maxTokens": 1},
        "timestamp": T0,
    }
    bundle, openings = seal_disclosable(args, created_at=T0)
    commitments, root = view_digests(bundle)
    node = OfflineNode()
    attested = node.attest(bundle, disclosureRoot=root, disclosureCommitments=commitments)
    trust = TrustStore(node_documents=(document(),), checkpoints=tuple(node.notes))
    shared = redact(attested, openings, ["snapshot.output"])
    report = verify_bundle(shared, trust=trust)
    assert report.ok and report.layer_status(Layer.DISCLOSURE) is Status.PASS, report.to_dict()
    assert any("node receipt" in c.message for c in report.checks if c.name == "binding")
    shared["snapshot"]["model"] = "other"
    assert Reason.DISCLOSURE_ROOT_MISMATCH in reasons(verify_bundle(shared, trust=trust))
