"""Everything a batch of items goes through on the model side, as one plain-Python object.

`ClipScorer.score_batch` is the only place images and captions meet the model: RunInference's handler calls it
(clip_handler.py), and so do the tests and the benchmark's direct baseline, so "RunInference equals direct calls"
compares the same arithmetic. One batched `encode_image` for all items and one batched `encode_text` for the
items that have a caption; embedding heads run on the L2-normalised image embeddings, picture heads (open_nsfw)
on the same batch of frames.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence, Union

import numpy as np
import torch
from PIL import Image

from framesift.config.jobs import ScoringConfig
from framesift.schemas.columns import Col
from pipelines.scoring.clip_model import ClipSpec, LoadedClip, check_clip_weights, load_clip
from pipelines.scoring.heads import (UNTRAINED, Head, PictureHead, PictureHeadFormat, check_picture_head,
                                     head_format, load_head, picture_side)
from pipelines.scoring.weights import WeightsError, check_exists

# (rgb uint8 (H, W, 3), caption or None): what one item brings to the model
ScoringInput = tuple[np.ndarray, Optional[str]]


def shrink_for_clip(rgb: np.ndarray, side: int = 224) -> np.ndarray:
    """Bring the shorter side down to `side` (never up) before the frame travels to the model worker.

    The model's own preprocessing still resizes and crops; this only cuts the bytes shipped between Beam stages
    (a 224-px frame is ~150 KB). Bicubic with antialiasing, like open_clip's resize, so the result matches resizing
    the full frame once."""
    h, w = rgb.shape[:2]
    if min(h, w) <= side:
        return np.ascontiguousarray(rgb)
    scale = side / min(h, w)
    size = (max(side, round(w * scale)), max(side, round(h * scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.BICUBIC, reducing_gap=None))


def _check(rgb: np.ndarray) -> np.ndarray:
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        desc = f"{rgb.dtype} {rgb.shape}" if isinstance(rgb, np.ndarray) else type(rgb).__name__
        raise ValueError(f"scoring expects RGB uint8 arrays of shape (H, W, 3), got {desc}")
    return rgb


@dataclass
class ClipScorer:
    clip: LoadedClip
    heads: list[Union[Head, PictureHead]] = field(default_factory=list)

    @property
    def models(self) -> dict[str, str]:
        """Provenance per score source, for the manifest's `models` map (caption_similarity comes from "clip")."""
        return {"clip": self.clip.provenance, **{h.name: h.provenance for h in self.heads}}

    @torch.inference_mode()
    def score_batch(self, items: Sequence[ScoringInput]) -> list[dict]:
        """Per item: {"scores": {...}, "embedding": float32 (D,) unit vector, "caption_embedding": float32 (D,)
        unit vector or None (no caption), "models": {...}}. The caption's embedding is kept because it is the
        text conditioning the latent shards carry; computing it again there would need the text tower twice."""
        if not items:
            return []
        clip, device = self.clip, self.clip.device
        pixels = torch.stack([clip.preprocess(Image.fromarray(_check(rgb))) for rgb, _ in items]).to(device)
        image_emb = clip.model.encode_image(pixels, normalize=True).float()
        scores: list[dict[str, float]] = [{} for _ in items]
        captioned = [i for i, (_, caption) in enumerate(items) if caption]
        caption_embeddings: list[Optional[np.ndarray]] = [None] * len(items)
        if captioned:
            tokens = clip.tokenizer([items[i][1] for i in captioned]).to(device)
            text_emb = clip.model.encode_text(tokens, normalize=True).float()
            similarity = (image_emb[captioned] * text_emb).sum(-1).cpu().numpy()
            text_np = text_emb.cpu().numpy().astype(np.float32, copy=False)
            for row, (i, s) in enumerate(zip(captioned, similarity)):
                scores[i]["caption_similarity"] = float(s)
                caption_embeddings[i] = text_np[row].copy()
        for head in self.heads:
            values = (head([rgb for rgb, _ in items]) if head.reads_pictures
                      else head(image_emb).float().cpu().numpy())
            for i, value in enumerate(values):
                scores[i][head.name] = float(value)
        embeddings = image_emb.cpu().numpy().astype(np.float32, copy=False)
        models = self.models
        return [{Col.SCORES: s, "embedding": embeddings[i].copy(), "caption_embedding": caption_embeddings[i],
                 Col.MODELS: dict(models)} for i, s in enumerate(scores)]


def clip_spec(cfg: ScoringConfig) -> ClipSpec:
    return ClipSpec(model=cfg.clip_model, pretrained=cfg.pretrained, model_config_dir=cfg.model_config_dir,
                    cache_dir=cfg.cache_dir, device=cfg.device)


def build_scorer(cfg: ScoringConfig) -> ClipScorer:
    """Load the CLIP model and every configured head; any weights problem raises WeightsError here, at load."""
    clip = load_clip(clip_spec(cfg))
    heads = [load_head(name, h.weights, h.format, clip.embed_dim, clip.provenance, activation=h.activation,
                       device=clip.device) for name, h in cfg.heads.items()]
    return ClipScorer(clip, heads)


def check_weights(cfg: ScoringConfig) -> None:
    """Launch-time check of every configured weights file (CLIP and heads): raises the WeightsError a worker would
    raise, before the job starts. Builds no model; a head's shape is checked when it loads."""
    check_clip_weights(clip_spec(cfg))
    for name, h in cfg.heads.items():
        spec = head_format(h.format, f"{name} head")
        if name in ("clip", "caption_similarity"):
            raise WeightsError(f"scoring.heads.{name}: '{name}' is a score the CLIP model itself produces")
        if isinstance(spec, PictureHeadFormat):
            check_picture_head(name, h.weights, spec, h.activation)
        elif h.weights != UNTRAINED:
            check_exists(h.weights, f"{name} head ({h.format})")


def scoring_side(cfg: ScoringConfig) -> int:
    """The shorter side frames are shrunk to (`shrink_for_clip`) for the configured CLIP and heads."""
    return picture_side(cfg.image_size, [h.format for h in cfg.heads.values()])


def score_batch(scorer: ClipScorer, items: Sequence[tuple[str, np.ndarray, Optional[str]]],
                batch_size: Optional[int] = None) -> list[tuple[str, dict]]:
    """The direct path: keyed items (item_id, rgb, caption) -> (item_id, result), in batches of `batch_size`
    (all at once when None). Same output as EmbedAndScore, without Beam."""
    size = batch_size or max(1, len(items))
    out = []
    for start in range(0, len(items), size):
        chunk = items[start:start + size]
        out.extend(zip([k for k, _, _ in chunk], scorer.score_batch([(rgb, cap) for _, rgb, cap in chunk])))
    return out
