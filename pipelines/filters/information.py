"""Low information: flat or near-constant frames (blank slides, solid fills) carry nothing to learn from.

Flatness is contrast relative to brightness (`luma_contrast` = std / max(mean, 0.1)): a photo darkened to a tenth
has a tenth of its spread but is dark, not flat, and the exposure filter names it (too_dark). Plain fills score
<= 0.01, dark photos >= 0.06, clean photos >= 0.13 here.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from pipelines.filters.base import Check, Filter, Sample, level_histogram, luma_levels
from pipelines.filters.registry import register_filter


def gray_entropy(y: np.ndarray) -> float:
    """Shannon entropy (bits) of the 256-bin luma histogram."""
    return histogram_entropy(level_histogram(luma_levels(y)))


def histogram_entropy(counts: np.ndarray) -> float:
    hist = counts.astype(np.float64)
    p = hist[hist > 0] / hist.sum()
    return float(-(p * np.log2(p)).sum())


@register_filter
class InformationFilter(Filter):
    name = "information"

    @dataclass
    class Params:
        min_entropy: Optional[float] = 3.0   # bits; a natural photo has 6-7.5
        min_contrast: Optional[float] = 0.03     # luma std / max(luma mean, 0.1)

    checks = (Check("entropy", "min", "min_entropy", "low_information"),
              Check("luma_contrast", "min", "min_contrast", "flat"))

    def score(self, sample: Sample) -> dict[str, float]:
        k = sample.keyframe_index
        y = sample.luma(k)
        std = float(np.sqrt(sample.luma_var(k)))        # y.std(), from the variance the sharpness filter shares
        return {"entropy": histogram_entropy(sample.luma_levels(k)[1]), "luma_std": std,
                "luma_contrast": std / max(float(y.mean()), 0.1)}
