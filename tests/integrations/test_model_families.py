"""The model families: scikit-learn fitted state, torch state dicts, weight files."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import torch
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from cerkit.capture.encode import encoder
from cerkit.integrations import local
from cerkit.integrations.files import identify_files, weights_manifest
from cerkit.integrations.torch import torch_weights_digest


def identify(model: Any) -> dict[str, Any]:
    return local.identify(model, encoder)


def _net() -> torch.nn.Module:
    torch.manual_seed(1)
    return torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))


def test_a_torch_digest_changes_when_one_weight_changes_and_not_otherwise() -> None:
    net = _net()
    digest = torch_weights_digest(net)
    assert torch_weights_digest(net) == digest
    assert torch_weights_digest(copy.deepcopy(net)) == digest
    net(torch.randn(2, 4))  # inference does not touch the weights
    assert torch_weights_digest(net) == digest
    original = net[2].weight[1, 5].item()
    with torch.no_grad():
        net[2].weight[1, 5] = original + 1e-6
    assert torch_weights_digest(net) != digest
    with torch.no_grad():
        net[2].weight[1, 5] = original
    assert torch_weights_digest(net) == digest
    assert torch_weights_digest(_net()) == digest


def test_a_torch_digest_sees_dtype_and_shape() -> None:
    net = _net()
    assert torch_weights_digest(net.to(torch.float64)) != torch_weights_digest(_net())
    identity = identify(_net())
    assert identity["framework"].startswith("torch ")
    assert identity["parameters"]["tensors"] == 4 and identity["parameters"]["dtypes"] == [
        "float32"
    ]


def test_sklearn_identity_has_class_parameters_and_a_fitted_state_digest() -> None:
    x, y = load_iris(return_X_y=True)

    def fit(c: float) -> object:
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=500)).fit(x, y)

    first, again, other = identify(fit(1.0)), identify(fit(1.0)), identify(fit(0.1))
    assert first["class"] == "sklearn.pipeline.Pipeline"
    assert first["framework"].startswith("scikit-learn ")
    assert first["parameters"]["logisticregression__C"] == 1.0
    assert first["weightsDigest"] == again["weightsDigest"]
    assert first["weightsDigest"] != other["weightsDigest"]
    unfitted = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=500))
    assert identify(unfitted)["weightsDigest"] != first["weightsDigest"]


def test_weight_folders_get_a_per_file_manifest(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "model.bin").write_bytes(b"\x00" * 3_000_000)
    (tmp_path / "sub" / "config.json").write_text('{"layers": 2}')
    manifest = weights_manifest(tmp_path)
    assert list(manifest) == ["model.bin", "sub/config.json"]
    expected = hashlib.sha256(b"\x00" * 3_000_000).hexdigest()
    assert manifest["model.bin"] == "sha256:" + expected
    before = identify_files(tmp_path)
    (tmp_path / "sub" / "config.json").write_text('{"layers": 3}')
    after = identify_files(tmp_path)
    assert after["weightsManifest"]["model.bin"] == before["weightsManifest"]["model.bin"]
    assert after["weightsDigest"] != before["weightsDigest"]
    assert identify(str(tmp_path / "model.bin"))["weightsManifest"] == {
        "model.bin": manifest["model.bin"]
    }


def test_no_model_family_imports_the_encoder_or_the_recorder_when_loaded() -> None:
    import ast

    import cerkit.integrations

    folder = Path(cerkit.integrations.__file__).parent
    for _library, module in local.FAMILIES:
        path = folder / f"{module.rsplit('.', 1)[1]}.py"
        imported = set()
        for node in ast.parse(path.read_text()).body:  # module level: what loading runs
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        assert not {name for name in imported if name.startswith("cerkit.capture")}, path
