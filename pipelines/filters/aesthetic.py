"""Aesthetic: the LAION improved-aesthetic-predictor score (roughly 1-10; most web photos land at 4-6).

The score comes from the model-scoring stage (pipelines/scoring, RunInference), not from this filter: `score`
returns nothing and the check applies to the recorded `aesthetic` score, so `evaluate` and `rethreshold` treat it
like any other. Items without the score (scoring off, no aesthetic head) never fail. The default threshold is
null (record only): a threshold on a score from untrained weights would reject at random.
"""
from dataclasses import dataclass
from typing import Optional

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter


@register_filter
class AestheticFilter(Filter):
    name = "aesthetic"

    @dataclass
    class Params:
        min: Optional[float] = None     # LAION's "aesthetic 5+/6+" subsets used 5.0 / 6.0

    checks = (Check("aesthetic", "min", "min", "low_aesthetic"),)

    def score(self, sample: Sample) -> dict[str, float]:
        return {}
