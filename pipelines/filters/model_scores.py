"""Thresholds on scores the model-scoring stage records (pipelines/scoring, RunInference): one generic filter.

Such a filter scores nothing itself (`score` returns {}); its checks apply to the recorded score, so `evaluate`
and `rethreshold` treat it like any other and its thresholds can be changed on an existing run without rescoring.
Items without the score (scoring off, no such head, no caption) are never judged. Thresholds default to null
(record only): a threshold on a score from untrained weights would reject at random.

Every configured score head (`scoring.heads.<score>`) gets one, named after its score, with `min`/`max`
parameters (`filters.<score>: {min: ...}`; reasons low_<score> / high_<score>); the scores below keep the
reason codes they always had.
"""
from __future__ import annotations

from pipelines.filters.base import recorded_score_filter
from pipelines.filters.registry import register_filter


# LAION improved-aesthetic-predictor score (roughly 1-10; most web photos land at 4-6; LAION's aesthetic subsets
# used 5.0 / 6.0)
register_filter(recorded_score_filter("aesthetic", low_reason="low_aesthetic"))
# a probability-like score from a head on the CLIP embedding (with `activation: sigmoid`, in [0, 1])
register_filter(recorded_score_filter("nsfw", high_reason="nsfw"))
# cosine between the CLIP image and caption embeddings (in [-1, 1]; matching pairs from a trained ViT-B-32
# typically score 0.25-0.35, unrelated ones below 0.15); only captioned items get it
register_filter(recorded_score_filter("caption_similarity", low_reason="caption_mismatch"))
