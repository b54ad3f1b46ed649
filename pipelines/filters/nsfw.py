"""NSFW: a probability-like score from a head on the CLIP image embedding (pipelines/scoring/heads.py).

Scored in the model-scoring stage (RunInference); this filter only holds the threshold, applied to the recorded
`nsfw` score, so it can be changed on an existing run without rescoring. With `scoring.nsfw_activation: sigmoid`
(the default) a linear logit head reads as a probability in [0, 1]. Null threshold = record only.
"""
from dataclasses import dataclass
from typing import Optional

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter


@register_filter
class NsfwFilter(Filter):
    name = "nsfw"

    @dataclass
    class Params:
        max: Optional[float] = None     # e.g. 0.5 with a calibrated sigmoid head

    checks = (Check("nsfw", "max", "max", "nsfw"),)

    def score(self, sample: Sample) -> dict[str, float]:
        return {}
