"""Resolution and aspect: reject items too small to train on, or strips too elongated to crop sensibly."""
from dataclasses import dataclass
from typing import Optional

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter


@register_filter
class ResolutionFilter(Filter):
    name = "resolution"

    @dataclass
    class Params:
        min_side: Optional[int] = 256      # pixels, shorter side of the original
        max_aspect: Optional[float] = 3.0  # longer side / shorter side

    checks = (Check("short_side", "min", "min_side", "too_small"),
              Check("aspect_ratio", "max", "max_aspect", "extreme_aspect"))

    def score(self, sample: Sample) -> dict[str, float]:
        short, long = sorted((sample.width, sample.height))
        return {"short_side": float(short), "aspect_ratio": long / max(short, 1)}
