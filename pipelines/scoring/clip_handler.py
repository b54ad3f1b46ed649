"""Beam RunInference ModelHandler for open_clip embeddings and the heads on them.

A custom handler rather than PytorchModelHandlerTensor: each example is an (rgb, caption) pair, the model is an
image tower + text tower + heads, and preprocessing must be the model's own. RunInference calls `load_model` once
per worker process (its Shared handle), batches with `batch_elements_kwargs`, and passes every batch to
`ClipScorer.score_batch` - the same function the direct path runs. Wrap it in KeyedModelHandler to carry item ids.
"""
from __future__ import annotations

import logging
from typing import Any, Iterable, Optional, Sequence

from apache_beam.ml.inference.base import ModelHandler

from framesift.config.jobs import ScoringConfig
from pipelines.scoring.scorer import ClipScorer, ScoringInput, build_scorer

_log = logging.getLogger(__name__)


class ClipModelHandler(ModelHandler[ScoringInput, dict, ClipScorer]):
    """(rgb uint8 HxWx3, caption or None) -> {"scores", "embedding", "models"}.

    Batches are exactly `batch_size` items where the bundle allows (min = max), so the model sees the batches it
    was sized for. `share_model_across_processes` loads one model per machine behind a proxy (for a GPU's memory);
    on CPU each process keeps its own copy, which avoids pickling every batch across processes. The proxy forks
    nothing: Beam's MultiProcessShared (large_model, spawn_process left False) serves the model from a thread of
    the first worker that loads it."""

    def __init__(self, cfg: ScoringConfig):
        super().__init__(min_batch_size=cfg.batch_size, max_batch_size=cfg.batch_size,
                         large_model=cfg.share_model_across_processes)
        self.cfg = cfg

    def load_model(self) -> ClipScorer:
        scorer = build_scorer(self.cfg)
        _log.info("scoring model loaded: %s", scorer.models)
        if scorer.clip.image_size > self.cfg.image_size:
            _log.warning("scoring.image_size %d is below %s's input size %d: frames get upsampled",
                         self.cfg.image_size, scorer.clip.provenance, scorer.clip.image_size)
        return scorer

    def run_inference(self, batch: Sequence[ScoringInput], model: ClipScorer,
                      inference_args: Optional[dict[str, Any]] = None) -> Iterable[dict]:
        return model.score_batch(list(batch))

    def get_num_bytes(self, batch: Sequence[ScoringInput]) -> int:
        # the default pickles the whole batch just to count it
        return sum(rgb.nbytes + len(caption or "") for rgb, caption in batch)

    def get_metrics_namespace(self) -> str:
        return "framesift_scoring"

    def validate_inference_args(self, inference_args: Optional[dict[str, Any]]):
        if inference_args:
            raise ValueError("ClipModelHandler takes no inference_args")
