"""Sharpness: variance of the Laplacian, normalised for size and contrast.

The Laplacian is taken at a common analysis scale (the longer side brought down to `analysis_side`, never up, so
small images are not blurred by upscaling) and divided by the grey-level variance, so a sharp low-contrast photo is
not mistaken for a blurred one. Blur removes high frequencies and drives the ratio towards 0.

It is measured one octave below the analysis scale (a 2x area downscale first): the finest scale is dominated by
sensor noise and JPEG/WebP block artifacts, which made blurred-then-compressed files look sharp (on the demo corpus
the margin between the softest clean item and the sharpest blurred one grew from 2.1x to 3.4x).

That coarse scale (128 px) cannot see a blur of a few pixels on a large photo: on 1-megapixel photos blurred by
3-6 px it fired on none. So a second score, `sharpness_fine`, measures the same ratio at `fine_side` (512 px, the
decoded analysis size) with no octave skipped: blur relative to the image's own size, a radius of 0.3 % of the
longer side reads as 1.5 px there. It needs the picture at `fine_side` or more; a picture decoded smaller (a small
original, or a reduced-size decode) is measured at the size it has, never upscaled. Both checks reject as too_blurry.
"""
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from pipelines.filters.base import Check, Filter, Sample, luma
from pipelines.filters.registry import register_filter


def _area_resize(gray: np.ndarray, scale: float) -> np.ndarray:
    size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def laplacian_sharpness(rgb: np.ndarray, analysis_side: int = 256, octaves: int = 1,
                        luma_var: Optional[np.float32] = None) -> float:
    """`rgb`: an RGB frame, or its luma (base.luma) already. `luma_var`: that luma's `.var()` if the caller has it
    (Sample.luma_var), used when the measure is taken at the given size."""
    gray = luma(rgb)
    scale = analysis_side / max(gray.shape)
    resized = False
    if scale < 1:
        gray, resized = _area_resize(gray, scale), True
    if octaves and min(gray.shape) >= 2 ** (octaves + 2):
        gray, resized = _area_resize(gray, 0.5 ** octaves), True
    lap = cv2.Laplacian(gray, cv2.CV_32F, ksize=1)
    var = luma_var if luma_var is not None and not resized else gray.var()
    return float(lap.var() / (var + 1e-4))


@register_filter
class SharpnessFilter(Filter):
    name = "sharpness"

    @dataclass
    class Params:
        min: Optional[float] = 0.06
        analysis_side: int = 256
        octaves: int = 1            # measure this many 2x-downscales below the analysis scale
        # fine scale (README, "How the defaults were chosen"): demo corpus clean >= 0.028, blurred <= 0.013
        min_fine: Optional[float] = 0.018
        fine_side: int = 512

    checks = (Check("sharpness", "min", "min", "too_blurry"),
              Check("sharpness_fine", "min", "min_fine", "too_blurry"))

    def score(self, sample: Sample) -> dict[str, float]:
        # for clips, the median over a few frames: one motion-blurred frame should not sink a clip
        n = len(sample.frames)
        indices = range(n) if sample.media_type == "image" else range(0, n, max(1, n // 5))
        p = self.params
        return {"sharpness": float(np.median([laplacian_sharpness(sample.luma(i), p.analysis_side, p.octaves)
                                              for i in indices])),
                "sharpness_fine": float(np.median([laplacian_sharpness(sample.luma(i), p.fine_side, 0,
                                                                       sample.luma_var(i))
                                                   for i in indices]))}
