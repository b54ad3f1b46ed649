"""Rec. 601 luma, the one definition every filter and the spectrum use (PIL's "L" mode uses the same weights)."""
from __future__ import annotations

import numpy as np


def luma(rgb: np.ndarray) -> np.ndarray:
    """Luma in [0, 1], float32, of an RGB uint8 (H, W, 3) image. A 2-d array is a single channel already: float32
    is taken as luma (what Sample.luma caches), anything else as grey levels 0-255."""
    if rgb.ndim == 2:
        return rgb if rgb.dtype == np.float32 else rgb.astype(np.float32) / 255.0
    rgb = rgb.astype(np.float32)
    return (rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114) / 255.0
