"""Sharpness: variance of the Laplacian, normalised for size and contrast.

The Laplacian is taken at a common analysis scale (the longer side brought down to `analysis_side`, never up, so
small images are not blurred by upscaling) and divided by the grey-level variance, so a sharp low-contrast photo is
not mistaken for a blurred one. Blur removes high frequencies and drives the ratio towards 0.
"""
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from pipelines.filters.base import Check, Filter, Sample, luma
from pipelines.filters.registry import register_filter


def laplacian_sharpness(rgb: np.ndarray, analysis_side: int = 256) -> float:
    gray = luma(rgb)
    scale = analysis_side / max(gray.shape)
    if scale < 1:
        gray = cv2.resize(gray, (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale))),
                          interpolation=cv2.INTER_AREA)
    lap = cv2.Laplacian(gray, cv2.CV_32F, ksize=1)
    return float(lap.var() / (gray.var() + 1e-4))


@register_filter
class SharpnessFilter(Filter):
    name = "sharpness"

    @dataclass
    class Params:
        min: Optional[float] = 0.005
        analysis_side: int = 256

    checks = (Check("sharpness", "min", "min", "too_blurry"),)

    def score(self, sample: Sample) -> dict[str, float]:
        # for clips, the median over a few frames: one motion-blurred frame should not sink a clip
        frames = sample.frames if sample.media_type == "image" else sample.frames[::max(1, len(sample.frames) // 5)]
        return {"sharpness": float(np.median([laplacian_sharpness(f, self.params.analysis_side) for f in frames]))}
