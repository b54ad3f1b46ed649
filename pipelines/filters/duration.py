"""Clip duration: too short to show motion, or longer than the trainer will ever sample."""
from dataclasses import dataclass
from typing import Optional

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter


@register_filter
class DurationFilter(Filter):
    name = "duration"
    media_types = ("clip",)

    @dataclass
    class Params:
        min_s: Optional[float] = 1.0
        max_s: Optional[float] = 30.0

    checks = (Check("duration_s", "min", "min_s", "too_short"),
              Check("duration_s", "max", "max_s", "too_long"))

    def score(self, sample: Sample) -> dict[str, float]:
        # the score's key, not a manifest column (the row's duration_s is the probe's)
        return {"duration_s": float(sample.duration_s or 0.0)}
