"""Rec. 601 luma, the one definition every filter and the spectrum use (PIL's "L" mode uses the same weights), and
its 256 grey levels."""
from __future__ import annotations

import cv2
import numpy as np


def luma(rgb: np.ndarray) -> np.ndarray:
    """Luma in [0, 1], float32, of an RGB uint8 (H, W, 3) image. A 2-d array is a single channel already: float32
    is taken as luma (what Sample.luma caches), anything else as grey levels 0-255."""
    if rgb.ndim == 2:
        return rgb if rgb.dtype == np.float32 else rgb.astype(np.float32) / 255.0
    if rgb.dtype == np.uint8 and rgb.shape[-1] == 3 and rgb.flags.c_contiguous and rgb.size:
        # the same float32 operations in the same order, on contiguous planes (strided channels cost 1.6x)
        r, g, b = cv2.split(rgb)
        y = np.multiply(r, np.float32(0.299), dtype=np.float32)
        y += np.multiply(g, np.float32(0.587), dtype=np.float32)
        y += np.multiply(b, np.float32(0.114), dtype=np.float32)
        y /= np.float32(255.0)
        return y
    rgb = rgb.astype(np.float32)
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114) / 255.0


def luma_levels(y: np.ndarray) -> np.ndarray:
    """The grey level 0-255 (uint8) of each luma: round(y * 255), clipped. Non-decreasing in y, so the levels'
    histogram locates the luma's order statistics (pipelines/media/percentile.py)."""
    t = y * 255
    t += 0.5
    np.clip(t, 0, 255, out=t)
    return t.astype(np.uint8)


def level_histogram(levels: np.ndarray) -> np.ndarray:
    """(256,) int64 counts of the values 0-255 of a uint8 array."""
    if levels.ndim == 2 and levels.size < 1 << 24:      # OpenCV counts in float32: exact below 2^24
        return cv2.calcHist([np.ascontiguousarray(levels)], [0], None, [256], [0, 256]).ravel().astype(np.int64)
    return np.bincount(levels.ravel(), minlength=256)
