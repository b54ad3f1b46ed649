"""Exposure: mean luma and the fractions of crushed-black and blown-out pixels."""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter


@register_filter
class ExposureFilter(Filter):
    name = "exposure"

    @dataclass
    class Params:
        min_mean: Optional[float] = 0.06               # luma in [0, 1]
        max_mean: Optional[float] = 0.94
        max_dark_fraction: Optional[float] = 0.6       # fraction of pixels with luma < dark_level
        max_bright_fraction: Optional[float] = 0.6     # fraction of pixels with luma > bright_level
        dark_level: float = 0.04
        bright_level: float = 0.96

    checks = (Check("luma_mean", "min", "min_mean", "too_dark"),
              Check("luma_mean", "max", "max_mean", "too_bright"),
              Check("dark_fraction", "max", "max_dark_fraction", "crushed_blacks"),
              Check("bright_fraction", "max", "max_bright_fraction", "blown_highlights"))

    def score(self, sample: Sample) -> dict[str, float]:
        y = np.stack([sample.luma(i) for i in range(0, len(sample.frames), max(1, len(sample.frames) // 5))])
        return {"luma_mean": float(y.mean()),
                "dark_fraction": float((y < self.params.dark_level).mean()),
                "bright_fraction": float((y > self.params.bright_level).mean())}
