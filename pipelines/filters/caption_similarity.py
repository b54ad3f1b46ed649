"""Caption similarity: cosine between the CLIP image and caption embeddings (in [-1, 1]; matching pairs from a
trained ViT-B-32 typically score 0.25-0.35, unrelated ones below 0.15).

Only items with a caption (from a sidecar) get the score; the rest are never judged by this filter. Scored in the
model-scoring stage (RunInference); this filter holds the threshold, applied to the recorded score, so it can be
retuned on an existing run. Null threshold = record only.
"""
from dataclasses import dataclass
from typing import Optional

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter


@register_filter
class CaptionSimilarityFilter(Filter):
    name = "caption_similarity"

    @dataclass
    class Params:
        min: Optional[float] = None

    checks = (Check("caption_similarity", "min", "min", "caption_mismatch"),)

    def score(self, sample: Sample) -> dict[str, float]:
        return {}
