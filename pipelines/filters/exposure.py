"""Exposure: mean luma, the brightest and darkest tones, and the fractions of crushed-black and blown-out pixels.

A photo darkened to a fifth can keep a mean luma above any sane `min_mean` (a bright sky stays grey) but its
highlights never get near white: `luma_p99` (the 99th percentile) below `min_highlight` names it too_dark.
Over-exposure clips: `clipped_fraction` is the share of pixels at luma >= 0.98; above `max_clipped` it is too_bright
(clean photos here: <= 0.05 with a white sky or specular highlights; photos brightened 2.5-4x: 0.02-0.82).
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter
from pipelines.media.percentile import bucketed_percentile


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
        min_highlight: Optional[float] = 0.3           # 99th-percentile luma; clean photos here >= 0.53
        max_clipped: Optional[float] = 0.1             # share of pixels at luma >= 0.98

    checks = (Check("luma_mean", "min", "min_mean", "too_dark"),
              Check("luma_p99", "min", "min_highlight", "too_dark"),
              Check("luma_mean", "max", "max_mean", "too_bright"),
              Check("clipped_fraction", "max", "max_clipped", "too_bright"),
              Check("dark_fraction", "max", "max_dark_fraction", "crushed_blacks"),
              Check("bright_fraction", "max", "max_bright_fraction", "blown_highlights"))

    def score(self, sample: Sample) -> dict[str, float]:
        picks = range(0, len(sample.frames), max(1, len(sample.frames) // 5))
        lumas = [sample.luma(i) for i in picks]
        # one frame: a view with the stack's shape and layout, so the mean sums in the same order without the copy
        y = lumas[0][None] if len(lumas) == 1 and lumas[0].flags.c_contiguous else np.stack(lumas)
        levels = [sample.luma_levels(i) for i in picks]
        p99 = bucketed_percentile(lumas, [lv for lv, _ in levels], sum(h for _, h in levels), 99)   # np.percentile's
        return {"luma_mean": float(y.mean()), "luma_p99": p99,
                "clipped_fraction": _share(y >= 0.98),
                "dark_fraction": _share(y < self.params.dark_level),
                "bright_fraction": _share(y > self.params.bright_level)}


def _share(mask: np.ndarray) -> float:
    """mask.mean(), exactly: numpy sums the booleans as float64 (exact integers) and divides once, as here."""
    return int(np.count_nonzero(mask)) / mask.size
