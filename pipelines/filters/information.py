"""Low information: flat or near-constant frames (blank slides, solid fills) carry nothing to learn from.

Flatness is contrast relative to brightness (`luma_contrast` = std / max(mean, 0.1)): a photo darkened to a tenth
has a tenth of its spread but is dark, not flat, and the exposure filter names it (too_dark). Plain fills score
<= 0.01, dark photos >= 0.06, clean photos >= 0.13 here.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from pipelines.filters.base import Check, Filter, Sample
from pipelines.filters.registry import register_filter


def gray_entropy(y: np.ndarray) -> float:
    """Shannon entropy (bits) of the 256-bin luma histogram."""
    hist = np.bincount(np.clip(y * 255 + 0.5, 0, 255).astype(np.uint8).ravel(), minlength=256).astype(np.float64)
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
        y = sample.luma(sample.keyframe_index)
        std = float(y.std())
        return {"entropy": gray_entropy(y), "luma_std": std, "luma_contrast": std / max(float(y.mean()), 0.1)}
