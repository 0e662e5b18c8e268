"""The Python recorder: what a recorded call or block leaves in its sealed record."""

from __future__ import annotations

import asyncio
import json
import random
import shutil
import subprocess
import sys
import traceback
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from sklearn.datasets import load_wine
from sklearn.tree import DecisionTreeClassifier

import cerkit
from cerkit.capture.encode import decode
from cerkit.capture.recorder import record, recording
from cerkit.ledger import shared_record_store
from cerkit.verify import verify_bundle

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "tests/nexart/node_modules/@nexart/ai-execution/dist/index.js"
CERKIT = str(Path(sys.executable).with_name("cerkit"))


def scale(
    values: list[float], factor: float = 2.0, *, offset: int = 0, clip: bool = False
) -> list[float]:
    return [v * factor + offset for v in values]


def test_defaults_are_resolved_into_effective_parameters(store_path: Path) -> None:
    recorded = record(scale)
    assert recorded([1.0, 2.0], offset=1) == [3.0, 5.0]
    snapshot = recorded.last_record["snapshot"]
    assert snapshot["effectiveParameters"] == {
        "values": [1.0, 2.0], "factor": 2.0, "offset": 1, "clip": False,
    }  # fmt: skip
    assert snapshot["input"] == {"args": [[1.0, 2.0]], "kwargs": {"offset": 1}}
    assert snapshot["parameters"] == {  # passed by name, whatever the calling style
        "temperature": 0, "maxTokens": 0, "topP": None, "seed": None,
        "values": [1.0, 2.0], "offset": 1,
    }  # fmt: skip
    execution = snapshot["execution"]
    assert execution["entryPoint"] == f"{__name__}:scale"
    assert execution["kind"] == "python" and execution["status"] == "ok"
    assert execution["codeSource"] == "source" and execution["codeDigest"].startswith("sha256:")
    assert snapshot["environment"]["schema"] == "cerkit.environment.v1"
    assert verify_bundle(recorded.last_record).ok


def test_the_recorded_inputs_decode_back_to_the_call() -> None:
    recorded = record(scale, store=False)
    recorded([0.5, (1.5)], 3.0, clip=True)
    inputs = recorded.last_record["snapshot"]["input"]
    assert decode(inputs["args"]) == [[0.5, 1.5], 3.0] and decode(inputs["kwargs"]) == {
        "clip": True
    }


def test_a_recorded_call_reruns_from_its_record() -> None:
    from cerkit.drift.rerun import rerun

    recorded = record(scale, store=False)
    recorded([1.0, 2.0], 3.0, offset=1)
    again = rerun(recorded.last_record)
    assert again.same_output and again.output == [4.0, 7.0]


class Boom(Exception):
    pass


def test_an_exception_is_recorded_and_reraised_unchanged(store_path: Path) -> None:
    error = Boom("disk on fire")

    @record
    def fails(x: int) -> int:
        raise error

    with pytest.raises(Boom) as caught:
        fails(1)
    assert caught.value is error
    assert "raise error" in "".join(traceback.format_tb(caught.value.__traceback__))
    snapshot = fails.last_record["snapshot"]
    expected = {"type": f"{__name__}.Boom", "message": "disk on fire"}
    assert snapshot["execution"]["status"] == "error"
    assert snapshot["execution"]["error"] == expected
    assert snapshot["output"] == {"error": expected}
    assert verify_bundle(fails.last_record).ok
    assert (
        shared_record_store(str(store_path)).get(fails.last_record["certificateHash"]) is not None
    )


def test_a_block_is_recorded_and_its_exception_passes_through(store_path: Path) -> None:
    with recording("jobs:nightly", inputs={"rows": np.arange(4)}, parameters={"k": 2}) as rec:
        rec.output = {"total": 6}
    snapshot = rec.bundle["snapshot"]
    assert snapshot["execution"]["entryPoint"] == "jobs:nightly"
    assert snapshot["input"]["rows"]["$type"] == "numpy.ndarray"
    assert snapshot["effectiveParameters"] == {"k": 2} and snapshot["output"] == {"total": 6}
    with pytest.raises(KeyError), recording(inputs=1) as failing:
        raise KeyError("missing")
    assert failing.bundle["snapshot"]["execution"]["status"] == "error"
    assert failing.bundle["snapshot"]["execution"]["entryPoint"].endswith(
        "test_a_block_is_recorded_and_its_exception_passes_through"
    )


def test_seeds_set_during_the_call_are_recorded(store_path: Path) -> None:
    @record
    def seeded(n: int) -> float:
        random.seed(7)
        np.random.seed(11)
        torch.manual_seed(13)
        return random.random() + float(np.random.rand()) + float(torch.rand(1))

    @record
    def unseeded() -> int:
        return 1

    seeded(1)
    assert seeded.last_record["snapshot"]["execution"]["seeds"] == {
        "random": 7, "numpy": 11, "torch": 13,
    }  # fmt: skip
    unseeded()
    seeds = unseeded.last_record["snapshot"]["execution"]["seeds"]
    assert seeds == {"random": None, "numpy": None, "torch": None}


def test_a_model_fills_model_identity(store_path: Path) -> None:
    x, y = load_wine(return_X_y=True)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(x, y)

    @record(model=tree)
    def predict(rows: Any) -> Any:
        return tree.predict(rows)

    predict(x[:5])
    snapshot = predict.last_record["snapshot"]
    assert snapshot["model"] == "sklearn.tree.DecisionTreeClassifier"
    assert snapshot["modelIdentity"]["parameters"]["max_depth"] == 3
    assert snapshot["modelIdentity"]["weightsDigest"].startswith("sha256:")
    assert snapshot["output"]["$type"] == "numpy.ndarray"


def test_hooks_run_after_sealing_and_a_failing_hook_does_not_break_the_call(
    store_path: Path,
) -> None:
    def sign(bundle: dict[str, Any]) -> dict[str, Any]:
        return {**bundle, "meta": {"producer": {"note": "signed later"}}}

    @record(hooks=[sign])
    def double(x: int) -> int:
        return 2 * x

    assert double(4) == 8
    stored = shared_record_store(str(store_path)).get(double.last_record["certificateHash"])
    assert stored is not None and stored["meta"] == {"producer": {"note": "signed later"}}

    def broken(bundle: dict[str, Any]) -> None:
        raise RuntimeError("hook failed")

    flaky = record(double.__wrapped__, hooks=[broken])
    with pytest.warns(RuntimeWarning, match="hook failed"):
        assert flaky(5) == 10
    kept = flaky.last_record  # the record is kept and stored without the hook's addition
    assert (
        kept is not None
        and shared_record_store(str(store_path)).get(kept["certificateHash"]) == kept
    )


def test_a_call_with_wrong_arguments_is_recorded_as_failed(store_path: Path) -> None:
    recorded = record(scale)
    with pytest.raises(TypeError):
        recorded([1.0], nope=1)
    execution = recorded.last_record["snapshot"]["execution"]
    assert execution["status"] == "error" and execution["error"]["type"] == "TypeError"


def test_a_model_that_cannot_be_identified_is_unknown(store_path: Path) -> None:
    models: dict[str, Any] = {}

    @record(model=lambda: models["current"])
    def predict(x: int) -> int:
        return x

    assert predict(1) == 1
    assert predict.last_record["snapshot"]["modelIdentity"] == {"unknown": "KeyError: 'current'"}


def test_async_functions_are_recorded(store_path: Path) -> None:
    @cerkit.record
    async def fetch(x: int, delay: float = 0.0) -> int:
        await asyncio.sleep(delay)
        return x + 1

    assert asyncio.run(fetch(1)) == 2
    assert fetch.last_record["snapshot"]["effectiveParameters"] == {"x": 1, "delay": 0.0}


def test_every_record_verifies_with_cerkit_verify(store_path: Path, tmp_path: Path) -> None:
    @record
    def work(x: Any) -> Any:
        return x

    for value in (1, "text", np.arange(3), torch.ones(2), {"a": (1, 2)}, None, b"bytes"):
        work(value)
    export = tmp_path / "records.jsonl"
    subprocess.run([CERKIT, "records", "export", "--store", str(store_path), "-o", str(export)],
                   check=True, timeout=120)  # fmt: skip
    assert len(export.read_text().splitlines()) == 7
    done = subprocess.run(
        [CERKIT, "verify", str(export)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("VERIFIED") == 7


@pytest.mark.node
def test_an_llm_shaped_record_verifies_with_nexarts_sdk() -> None:
    node = shutil.which("node")
    if node is None or not SDK.exists():
        pytest.skip("Node.js or the NexArt SDK is not installed (make test installs it)")

    @record(provider="openai", model="gpt-4o-mini", store=False)
    def chat(
        prompt: str, temperature: float = 0.7, max_tokens: int = 256, top_p: float = 1.0
    ) -> str:
        return "Paris."

    chat("What is the capital of France?", temperature=0.2, max_tokens=64)
    bundle = chat.last_record
    snapshot = bundle["snapshot"]
    assert (snapshot["provider"], snapshot["model"]) == ("openai", "gpt-4o-mini")
    assert (
        snapshot["parameters"]["temperature"] == 0.2 and snapshot["parameters"]["maxTokens"] == 64
    )
    assert {"environment", "execution", "effectiveParameters", "modelIdentity"} <= set(snapshot)
    script = (
        f"import {{verifyCer}} from {json.dumps(SDK.as_uri())};"
        "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
        "console.log(JSON.stringify(verifyCer(JSON.parse(s)))));"
    )
    done = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(bundle),
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    assert json.loads(done.stdout) == {"ok": True, "errors": []}
    tampered = json.loads(json.dumps(bundle))
    tampered["snapshot"]["environment"]["python"]["version"] = "9.9.9"
    done = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(tampered),
                          capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    assert json.loads(done.stdout)["ok"] is False
