"""Score heads (aesthetic, NSFW, any other): networks on L2-normalised CLIP image embeddings, loaded from local
state dicts, and picture heads, whole classifiers that read the frame itself (open_nsfw).

Each configured head (`scoring.heads.<score>: {weights, format, activation}`) produces the score named by its key.
Formats are registered by name in pipelines/scoring/head_formats/ (laion_mlp, linear, open_nsfw). An embedding
head's input size is read from the file and checked against the CLIP embedding size before anything runs: a head
trained on another CLIP produces confident nonsense, not an error, so we make it one.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

from framesift.vocabulary import UNTRAINED
from pipelines.scoring.head_formats import HeadFormat, PictureHeadFormat, PictureModel, head_formats
from pipelines.scoring.weights import WeightsError, file_digest, local_path

UNTRAINED_SEED = 0


def head_format(fmt: str, what: str = "head") -> Union[HeadFormat, PictureHeadFormat]:
    formats = head_formats()
    if fmt not in formats:
        raise WeightsError(f"{what}: unknown head format '{fmt}' (known: {', '.join(sorted(formats))})")
    return formats[fmt]


@dataclass
class Head:
    """A loaded head: `module` maps (N, D) embeddings to (N, 1); `activation` is applied after it."""
    name: str                       # the score it produces, e.g. "aesthetic"
    module: nn.Module
    provenance: str                 # "<format>:<file>@<sha256[:12]>" or "<format>/untrained"
    activation: str = "none"        # "none" or "sigmoid" (a logit head read as a probability)

    reads_pictures = False

    @torch.inference_mode()
    def __call__(self, embeddings: torch.Tensor) -> torch.Tensor:
        out = self.module(embeddings).squeeze(-1)
        return torch.sigmoid(out) if self.activation == "sigmoid" else out


@dataclass
class PictureHead:
    """A loaded picture head: `model` maps RGB uint8 pictures to (N,) scores."""
    name: str
    model: PictureModel

    reads_pictures = True

    @property
    def provenance(self) -> str:
        return self.model.provenance

    def __call__(self, pictures: Sequence[np.ndarray]) -> np.ndarray:
        return np.asarray(self.model(pictures), np.float32)


def picture_side(image_size: int, formats: Sequence[str]) -> int:
    """The shorter side pictures are shrunk to before they travel to the model stage: CLIP's `image_size`, or
    more when a picture head in `formats` reads larger pictures (open_nsfw resizes to 256 before its crop)."""
    known = head_formats()
    return max([image_size] + [known[f].min_side for f in formats
                               if isinstance(known.get(f), PictureHeadFormat)])


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


def check_picture_head(name: str, path: str, spec: PictureHeadFormat, activation: str) -> None:
    """A picture head's launch-time check: its weights exist, and no activation is asked of it."""
    if activation != "none":
        raise WeightsError(f"scoring.heads.{name}: a {spec.name} head gives its score as it is; "
                           f"activation must be none, got {activation}")
    if path == UNTRAINED:
        raise WeightsError(f"scoring.heads.{name}: {spec.name} has no untrained form; give its weights")
    spec.check(path)


def load_head(name: str, path: str, fmt: str, embed_dim: int, clip_provenance: str,
              activation: str = "none", device: Optional[torch.device] = None) -> Union[Head, PictureHead]:
    """Load head `name` from `path` (local or gs://) or build it with random weights when path is `untrained`
    (embedding heads only); a picture head loads its own model."""
    what = f"{name} head ({fmt})"
    spec = head_format(fmt, what)
    if isinstance(spec, PictureHeadFormat):
        check_picture_head(name, path, spec, activation)
        return PictureHead(name, spec.load(path, str(device or "cpu")))
    if path == UNTRAINED:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(UNTRAINED_SEED)
            module = spec.build(embed_dim)
        return Head(name, module.to(device or "cpu").eval(), f"{fmt}/{UNTRAINED}", activation)
    file = local_path(path, what)
    sd = read_state_dict(file)
    key = spec.input_key
    if key not in sd or sd[key].ndim != 2:
        raise WeightsError(f"{what}: '{path}' is not a {fmt} state dict (no 2-d '{key}'; its keys: "
                           f"{', '.join(sorted(sd)[:8])})")
    in_dim = int(sd[key].shape[1])
    if in_dim != embed_dim:
        raise WeightsError(f"{what}: '{path}' takes {in_dim}-d embeddings but {clip_provenance} produces "
                           f"{embed_dim}-d ones; use the CLIP the head was trained on (the LAION aesthetic "
                           f"predictor needs ViT-L-14, 768-d)")
    module = spec.build(in_dim)
    try:
        module.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise WeightsError(f"{what}: '{path}' does not match the {fmt} layout: "
                           f"{'; '.join(line.strip() for line in str(e).strip().splitlines()[1:])[:300]}") from e
    return Head(name, module.to(device or "cpu").eval(), f"{fmt}:{os.path.basename(file)}@{file_digest(file)}",
                activation)
