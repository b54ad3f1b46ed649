"""Small heads on L2-normalised CLIP image embeddings (aesthetic, NSFW), loaded from local state dicts.

Two formats:
  * `laion_mlp`: the christophschuhmann/improved-aesthetic-predictor MLP, exactly as that project defines and
    publishes it (e.g. sac+logos+ava1-l14-linearMSE.pth): an nn.Sequential named `layers`,
    Linear(D,1024) Dropout(0.2) Linear(1024,128) Dropout(0.2) Linear(128,64) Dropout(0.1) Linear(64,16) Linear(16,1),
    so the state-dict keys are layers.{0,2,4,6,7}.{weight,bias}. Its published weights expect ViT-L-14 (D=768).
  * `linear`: one nn.Linear(D, 1) state dict, keys `weight` (1, D) and `bias` (1,) (a logistic-regression probe).
The input size is read from the file and checked against the CLIP embedding size before anything runs: a head
trained on another CLIP produces confident nonsense, not an error, so we make it one.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

import torch
from torch import nn

from framesift.vocabulary import UNTRAINED
from pipelines.scoring.weights import WeightsError, file_digest, local_path

HEAD_FORMATS = ("laion_mlp", "linear")
UNTRAINED_SEED = 0


class LaionAestheticMLP(nn.Module):
    """The improved-aesthetic-predictor MLP; attribute and index names match its published state dicts."""

    def __init__(self, input_size: int = 768):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(input_size, 1024), nn.Dropout(0.2),
            nn.Linear(1024, 128), nn.Dropout(0.2),
            nn.Linear(128, 64), nn.Dropout(0.1),
            nn.Linear(64, 16),
            nn.Linear(16, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


def build_head(fmt: str, input_size: int) -> nn.Module:
    if fmt == "laion_mlp":
        return LaionAestheticMLP(input_size)
    if fmt == "linear":
        return nn.Linear(input_size, 1)
    raise WeightsError(f"unknown head format '{fmt}' (known: {', '.join(HEAD_FORMATS)})")


# the tensor whose second dimension is the head's input size, per format
_INPUT_KEY = {"laion_mlp": "layers.0.weight", "linear": "weight"}


@dataclass
class Head:
    """A loaded head: `module` maps (N, D) embeddings to (N, 1); `activation` is applied after it."""
    name: str                       # the score it produces, e.g. "aesthetic"
    module: nn.Module
    provenance: str                 # "<format>:<file>@<sha256[:12]>" or "<format>/untrained"
    activation: str = "none"        # "none" or "sigmoid" (a logit head read as a probability)

    @torch.inference_mode()
    def __call__(self, embeddings: torch.Tensor) -> torch.Tensor:
        out = self.module(embeddings).squeeze(-1)
        return torch.sigmoid(out) if self.activation == "sigmoid" else out


def read_state_dict(path: str) -> dict[str, torch.Tensor]:
    """A state dict from .pth/.pt/.bin (torch.load, weights only) or .safetensors; unwraps {"state_dict": ...}
    and DataParallel's "module." prefix."""
    try:
        if path.endswith(".safetensors"):
            from safetensors.torch import load_file
            sd = load_file(path, device="cpu")
        else:
            sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise WeightsError(f"cannot read '{path}' as a state dict: {type(e).__name__}: {str(e)[:300]}") from e
    if isinstance(sd, dict) and isinstance(sd.get("state_dict"), dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise WeightsError(f"'{path}' does not hold a state dict (a mapping of tensor names to tensors)")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}


def load_head(name: str, path: str, fmt: str, embed_dim: int, clip_provenance: str,
              activation: str = "none", device: Optional[torch.device] = None) -> Head:
    """Load head `name` from `path` (local or gs://) or build it with random weights when path is `untrained`."""
    what = f"{name} head ({fmt})"
    if fmt not in HEAD_FORMATS:
        raise WeightsError(f"{what}: unknown format (known: {', '.join(HEAD_FORMATS)})")
    if path == UNTRAINED:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(UNTRAINED_SEED)
            module = build_head(fmt, embed_dim)
        return Head(name, module.to(device or "cpu").eval(), f"{fmt}/{UNTRAINED}", activation)
    file = local_path(path, what)
    sd = read_state_dict(file)
    key = _INPUT_KEY[fmt]
    if key not in sd or sd[key].ndim != 2:
        raise WeightsError(f"{what}: '{path}' is not a {fmt} state dict (no 2-d '{key}'; its keys: "
                           f"{', '.join(sorted(sd)[:8])})")
    in_dim = int(sd[key].shape[1])
    if in_dim != embed_dim:
        raise WeightsError(f"{what}: '{path}' takes {in_dim}-d embeddings but {clip_provenance} produces "
                           f"{embed_dim}-d ones; use the CLIP the head was trained on (the LAION aesthetic "
                           f"predictor needs ViT-L-14, 768-d)")
    module = build_head(fmt, in_dim)
    try:
        module.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise WeightsError(f"{what}: '{path}' does not match the {fmt} layout: "
                           f"{'; '.join(line.strip() for line in str(e).strip().splitlines()[1:])[:300]}") from e
    return Head(name, module.to(device or "cpu").eval(), f"{fmt}:{os.path.basename(file)}@{file_digest(file)}",
                activation)
