"""The spectral profile of an image: radially averaged log power spectrum of its luma.

Natural photos fall off roughly as 1/f^2; blur shows as a steeper drop at high frequencies, JPEG blocking and
upscaling as bumps or a cliff. It explains a sharpness or information score at a glance on the Item page.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image


def spectral_profile(image_bytes: bytes, side: int = 256, bins: int = 64) -> dict[str, list[float]]:
    """{'frequency': cycles/pixel in (0, 0.5], 'log10_power': mean log10 power in that ring}."""
    img = Image.open(io.BytesIO(image_bytes))
    img.draft("L", (side, side))
    gray = np.asarray(img.convert("L").resize((side, side)), dtype=np.float32) / 255.0
    gray = (gray - gray.mean()) * np.outer(np.hanning(side), np.hanning(side))   # window: no edge leakage
    power = np.abs(np.fft.fftshift(np.fft.fft2(gray))) ** 2
    yy, xx = np.indices(power.shape) - side // 2
    radius = np.hypot(yy, xx) / side                                           # cycles per pixel
    edges = np.linspace(0, 0.5, bins + 1)
    which = np.digitize(radius.ravel(), edges) - 1
    valid = (which >= 1) & (which < bins)                                      # drop DC and the corners
    sums = np.bincount(which[valid], weights=np.log10(power.ravel()[valid] + 1e-12), minlength=bins)
    counts = np.bincount(which[valid], minlength=bins)
    keep = counts > 0
    centres = (edges[:-1] + edges[1:]) / 2
    return {"frequency": centres[keep].tolist(), "log10_power": (sums[keep] / counts[keep]).tolist()}
