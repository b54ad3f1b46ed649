"""Motion for clips: a static clip (a slide, a paused frame) teaches no motion; a jittery one teaches shake.

motion_mean: mean absolute luma change between consecutive frames (in [0, 1]) on a 64-px-wide proxy.
motion_jitter: how erratic the motion is, as the mean absolute second difference of the per-frame change divided by
its mean; smooth pans and steady action stay near 0-1, shaky or flickering footage goes well above.
"""
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from pipelines.filters.base import Check, Filter, Sample, luma
from pipelines.filters.registry import register_filter


def frame_changes(frames: list, width: int = 64) -> np.ndarray:
    """`frames`: RGB frames or their lumas (base.luma)."""
    small = []
    for f in frames:
        y = luma(f)
        h = max(1, round(y.shape[0] * width / y.shape[1]))
        small.append(cv2.resize(y, (width, h), interpolation=cv2.INTER_AREA))
    if len(small) < 2:
        return np.zeros(0, np.float32)
    stack = np.stack(small)
    return np.abs(np.diff(stack, axis=0)).mean(axis=(1, 2))


@register_filter
class MotionFilter(Filter):
    name = "motion"
    media_types = ("clip",)

    @dataclass
    class Params:
        min_mean: Optional[float] = 0.002
        max_jitter: Optional[float] = 2.0

    checks = (Check("motion_mean", "min", "min_mean", "static"),
              Check("motion_jitter", "max", "max_jitter", "jittery"))

    def score(self, sample: Sample) -> dict[str, float]:
        changes = frame_changes([sample.luma(i) for i in range(len(sample.frames))])
        if len(changes) == 0:
            return {"motion_mean": 0.0, "motion_jitter": 0.0}
        mean = float(changes.mean())
        jitter = float(np.abs(np.diff(changes, n=2)).mean() / (mean + 1e-4)) if len(changes) > 2 else 0.0
        return {"motion_mean": mean, "motion_jitter": jitter}
