"""EmbedAndScore: the Beam side of model scoring, and the helpers that put its output into the run's records.

    (item_id, rgb uint8 HxWx3, caption or None)
        -> (item_id, {"scores": {"aesthetic", "nsfw", "caption_similarity"}, "embedding": float32 (D,),
                      "caption_embedding": float32 (D,) or None, "models": {"clip": ..., "aesthetic": ..., ...}})

Scores only appear when their source exists (caption_similarity needs a caption, aesthetic/nsfw need a configured
head). Send frames already shrunk with `shrink_for_clip` (shorter side = scoring.image_size): RunInference batches
travel between stages, and a full-size frame is mostly bytes the model throws away.
"""
from __future__ import annotations

from typing import Optional

import apache_beam as beam
import numpy as np
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference

from framesift.config.jobs import ScoringConfig
from framesift.schemas import EmbeddingRecord, ManifestRow
from framesift.vocabulary import is_untrained
from framesift.schemas.columns import Col
from pipelines.scoring.clip_handler import ClipModelHandler


def _to_keyed(element):
    item_id, rgb, caption = element
    return item_id, (rgb, caption or None)


def _failed_items(failure):
    """A failed batch -> one (item_id, "ErrorType: message") per item in it: RunInference fails whole batches.
    Beam hands the error over as (exception type, repr, traceback lines)."""
    batch, (exc_type, exc_repr, tb_lines) = failure
    last = tb_lines[-1].strip() if tb_lines else exc_repr
    message = f"{getattr(exc_type, '__name__', exc_type)}: {last.split(': ', 1)[-1]}"[:1000]
    for item_id, _ in batch:
        yield item_id, message


class EmbedAndScore(beam.PTransform):
    """RunInference over a KeyedModelHandler(ClipModelHandler). With `with_failures`, returns (results, failures)
    where failures are (item_id, message) for every item of a batch whose inference raised, instead of failing
    the job."""

    def __init__(self, cfg: ScoringConfig, with_failures: bool = False):
        super().__init__()
        self.cfg, self.with_failures = cfg, with_failures

    def expand(self, items):
        keyed = items | "Key" >> beam.Map(_to_keyed)
        inference = RunInference(KeyedModelHandler(ClipModelHandler(self.cfg)))
        if not self.with_failures:
            return keyed | "RunInference" >> inference
        results, dlq = keyed | "RunInference" >> inference.with_exception_handling()
        failures = dlq.failed_inferences | "FailedItems" >> beam.FlatMap(_failed_items)
        return results, failures


def embedding_record(item_id: str, result: dict) -> dict:
    """A RUN/embeddings/*.parquet record (framesift.schemas.EMBEDDING_SCHEMA) for one EmbedAndScore output."""
    clip = result[Col.MODELS]["clip"]
    return EmbeddingRecord(item_id=item_id, model=f"open_clip:{clip}", untrained=is_untrained(clip),
                           embedding=np.asarray(result["embedding"], np.float32),
                           caption_embedding=result.get("caption_embedding")).to_record()


def attach_model_outputs(row: ManifestRow, result: Optional[dict]) -> ManifestRow:
    """Merge one EmbedAndScore output into its manifest row (scores and which model made them). Re-run the
    decision afterwards (pipelines.curate.decide.apply_decision): the model-score filters judge these scores."""
    if result:
        row.scores.update(result[Col.SCORES])
        row.models.update(result[Col.MODELS])
    return row
