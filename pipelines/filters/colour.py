"""Colour: grayscale and near-grayscale pictures, read from the pixels, not the file mode (an RGB JPEG of a
black-and-white scan is grey; a palette PNG can be in colour).

chroma: the 99th percentile over pixels of (max(R, G, B) - min(R, G, B)) / 255, on the analysis-size picture (clips:
a few frames). Grey pictures stored as RGB score ~0-0.03 (JPEG's chroma noise); a faint tint or a nearly colourless
scene up to ~0.06; ordinary colour photos 0.3 and more. The default only records it: the demo corpus counts its
black-and-white photos as clean. Set `filters.colour.min_chroma=0.06` to reject grayscale for a colour model.
"""
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from pipelines.filters.base import Check, Filter, Sample, level_histogram
from pipelines.filters.registry import register_filter
from pipelines.media.percentile import levels_percentile


def chroma_p99(rgb: np.ndarray) -> float:
    if rgb.ndim == 2 or rgb.shape[-1] == 1:
        return 0.0
    if rgb.dtype == np.uint8 and rgb.shape[-1] == 3 and rgb.flags.c_contiguous and rgb.size:
        # channel planes (contiguous: OpenCV's max/min are 1.5x numpy's on strided channels); max >= min, so the
        # spread fits uint8, and its percentile from its histogram is np.percentile's
        r, g, b = cv2.split(rgb)
        spread = cv2.max(cv2.max(r, g), b) - cv2.min(cv2.min(r, g), b)
        return levels_percentile(level_histogram(spread), 99) / 255.0
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    # channel by channel: numpy's max/min along a length-3 last axis cost ~30x more (10 ms on a 512-px picture)
    spread = np.maximum(np.maximum(r, g), b).astype(np.int16) - np.minimum(np.minimum(r, g), b)
    return float(np.percentile(spread, 99)) / 255.0


@register_filter
class ColourFilter(Filter):
    name = "colour"

    @dataclass
    class Params:
        min_chroma: Optional[float] = None      # e.g. 0.06 to reject grayscale and near-grayscale

    checks = (Check("chroma", "min", "min_chroma", "grayscale"),)

    def score(self, sample: Sample) -> dict[str, float]:
        frames = sample.frames[::max(1, len(sample.frames) // 3)]
        return {"chroma": float(np.median([chroma_p99(f) for f in frames]))}
