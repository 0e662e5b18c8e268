"""torch: tensors by a digest of their raw bytes, modules by a digest of their state dict.

The state-dict digest goes tensor by tensor in key order, each framed by its key, dtype and
shape, so a renamed, reshaped or recast tensor changes it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cerkit.canonical import canonicalize
from cerkit.digest import PREFIX, HexDigest
from cerkit.integrations.base import (
    ContentPolicy,
    Encoder,
    Sub,
    distribution_version,
    qualified_name,
)


def tensor_bytes(tensor: Any) -> Any:
    """The raw bytes of a tensor in C order on the CPU, as a numpy ``uint8`` view."""
    import torch

    flat = tensor.detach().to("cpu").contiguous().reshape(-1)
    return flat.view(torch.uint8).numpy()


def torch_weights_digest(module: Any) -> HexDigest:
    """Digest of a torch module's state dict, tensor by tensor in key order.

    Each tensor contributes a header (the canonical JSON of ``[key, dtype, shape, nbytes]``
    and a newline) followed by its raw C-order bytes, so no two different state dicts can
    produce the same byte stream.
    """
    hasher = hashlib.sha256()
    for key, tensor in module.state_dict().items():
        data = tensor_bytes(tensor)
        header = [key, str(tensor.dtype).removeprefix("torch."), list(tensor.shape), data.nbytes]
        hasher.update(canonicalize(header) + b"\n")
        hasher.update(memoryview(data))
    return HexDigest(PREFIX + hasher.hexdigest())


def identify_torch(module: Any) -> dict[str, Any]:
    """``modelIdentity`` of a torch ``nn.Module``."""
    state = module.state_dict()
    dtypes = sorted({str(t.dtype).removeprefix("torch.") for t in state.values()})
    return {
        "provider": "local",
        "framework": f"torch {distribution_version('torch')}",
        "class": f"{type(module).__module__}.{type(module).__qualname__}",
        "parameters": {
            "tensors": len(state),
            "elements": sum(int(t.numel()) for t in state.values()),
            "dtypes": dtypes,
            "training": bool(module.training),
        },
        "weightsDigest": torch_weights_digest(module),
    }


class TorchFamily:
    """The torch :class:`~cerkit.integrations.base.ModelFamily`."""

    module = "torch"

    def encode(self, value: Any, options: ContentPolicy, sub: Sub, encoder: Encoder) -> Any:
        import torch

        if isinstance(value, torch.nn.Module):
            return {
                "$type": "torch.nn.Module",
                "class": qualified_name(type(value)),
                "weightsDigest": torch_weights_digest(value),
            }
        if not isinstance(value, torch.Tensor) or value.layout != torch.strided:
            return None
        encoded: dict[str, Any] = {
            "$type": "torch.Tensor",
            "dtype": str(value.dtype).removeprefix("torch."),
            "shape": list(value.shape),
            "device": value.device.type,
            "digest": PREFIX + hashlib.sha256(tensor_bytes(value)).hexdigest(),
        }
        if options.wants(value.numel()):
            encoded["data"] = sub(value.detach().to("cpu").tolist())
        return encoded

    def identify(self, model: Any, encoder: Encoder) -> dict[str, Any] | None:
        import torch

        return identify_torch(model) if isinstance(model, torch.nn.Module) else None


FAMILY = TorchFamily()
__all__ = ["FAMILY", "TorchFamily", "identify_torch", "tensor_bytes", "torch_weights_digest"]
