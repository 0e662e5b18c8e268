"""The transformers integration on a tiny randomly initialised GPT-2 that the test builds
and saves locally (no download: ``HF_HUB_OFFLINE=1``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from llm_fixtures import Records  # noqa: E402

from cerkit.drift.attribution import Verdict, explain  # noqa: E402
from cerkit.integrations import flush  # noqa: E402
from cerkit.integrations import transformers as cerkit_hf  # noqa: E402

WORDS = ["<unk>", "<eos>", "hello", "world", "the", "cat", "sat", "on", "mat", "a"]


def build_model(folder: Path) -> Path:
    """A one-layer GPT-2 with random weights and a word-level tokenizer, saved to folder."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    core = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=core, unk_token="<unk>", eos_token="<eos>", pad_token="<eos>"
    )
    torch.manual_seed(0)
    config = transformers.GPT2Config(
        vocab_size=len(WORDS), n_positions=32, n_embd=16, n_layer=1, n_head=2,
        bos_token_id=1, eos_token_id=1, pad_token_id=1,
    )  # fmt: skip
    model = transformers.GPT2LMHeadModel(config)
    model.generation_config.max_new_tokens = 4
    model.generation_config.do_sample = False
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model(tmp_path_factory.mktemp("tiny-gpt2"))


@pytest.fixture
def records() -> Records:
    return Records()


def load(folder: Path) -> Any:
    return transformers.AutoModelForCausalLM.from_pretrained(folder)


def test_a_pipeline_call_records_config_weights_tokenizer_and_generation_settings(
    folder: Path, records: Records, verified: Any
) -> None:
    pipe = transformers.pipeline("text-generation", model=str(folder), device="cpu")
    handle = cerkit_hf.instrument(pipe, store=False, hooks=[records])
    out = pipe("hello world", max_new_tokens=3)
    handle.uninstrument()
    pipe("hello world", max_new_tokens=3)  # no longer recorded
    flush()
    assert len(records) == 1
    snap = records[0]["snapshot"]
    identity = snap["modelIdentity"]
    assert identity["requestedModel"] == str(folder) and identity["task"] == "text-generation"
    assert set(identity["weightsManifest"]) == {"model.safetensors"}
    assert identity["configDigest"].startswith("sha256:") and identity["dtype"] == "float32"
    assert identity["device"] == "cpu"
    assert {"tokenizer.json", "tokenizer_config.json"} <= set(identity["tokenizer"]["files"])
    assert snap["effectiveParameters"]["max_new_tokens"] == 3
    assert snap["parameterSources"]["max_new_tokens"] == "passed"
    assert snap["parameterSources"]["do_sample"] == "default"  # set to the library's value
    assert (snap["effectiveParameters"]["top_k"], snap["parameterSources"]["top_k"]) == (
        50, "default",
    )  # fmt: skip
    assert snap["parameters"]["maxTokens"] == 3
    assert snap["input"]["inputs"] == "hello world"
    assert snap["output"] == out
    verified(records)


def test_a_changed_generation_default_reads_as_a_parameter_default_in_drift(
    folder: Path, records: Records, verified: Any
) -> None:
    model = load(folder)
    handle = cerkit_hf.instrument(model, store=False, hooks=[records])
    ids = torch.tensor([[2, 3, 4]])
    model.generate(ids, attention_mask=torch.ones_like(ids))
    model.generation_config.max_new_tokens = 6  # what a new generation_config.json does
    model.generate(ids, attention_mask=torch.ones_like(ids))
    handle.uninstrument()
    flush()
    first, second = (r["snapshot"] for r in records)
    assert first["effectiveParameters"]["max_new_tokens"] == 4
    assert first["parameterSources"]["max_new_tokens"] == "model-default"
    assert second["effectiveParameters"]["max_new_tokens"] == 6
    assert first["parameters"] == second["parameters"]  # the same request
    assert first["output"]["shape"] == [1, 7] and second["output"]["shape"] == [1, 9]
    explanation = explain(records[0], records[1])
    assert explanation.verdict is Verdict.DRIFT_EXPLAINED
    top = explanation.causes[0]
    assert (top.category, top.subject) == ("parameter-default", "max_new_tokens")
    verified(records)


def test_the_model_family_identifies_a_model_for_the_recorder(folder: Path) -> None:
    import cerkit

    model = load(folder)

    @cerkit.record(model=model, store=False)
    def complete(ids: list[int]) -> list[int]:
        out = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids)))
        return [int(t) for t in out[0]]

    complete([2, 3])
    identity = complete.last_record["snapshot"]["modelIdentity"]  # type: ignore[attr-defined]
    assert identity["class"].endswith("GPT2LMHeadModel")
    assert identity["weightsManifest"] == cerkit_hf.identify(model)["weightsManifest"]
    assert identity["configDigest"] == cerkit_hf.config_digest(model.config)
